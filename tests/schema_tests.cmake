# The scenario schema agrees with the loader: scenarios/schema.json accepts every shipped
# scenario and good fixture and rejects every bad fixture it can express (see
# scenario_schema_check.py). Included from tests/CMakeLists.txt. The script exits 77 when
# python3-jsonschema is missing, which ctest reports as skipped, not passed.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  set(mabeam_schema_test "schema: shipped scenarios and fixtures agree with scenarios/schema.json")
  add_test(NAME "${mabeam_schema_test}"
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/scenario_schema_check.py ${PROJECT_SOURCE_DIR})
  set_tests_properties("${mabeam_schema_test}" PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
else()
  message(STATUS "Python 3 not found: the scenario schema test is not registered")
endif()
