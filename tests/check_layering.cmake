# Fails when a file under engine/ breaks the seam of DESIGN.md (run by ctest). Lists every
# offending file and line.
file(GLOB_RECURSE files ${ENGINE_DIR}/*.h ${ENGINE_DIR}/*.hpp ${ENGINE_DIR}/*.cpp ${ENGINE_DIR}/*.cc)
set(patterns
  "#include[ \t]*[<\"]boost/asio"
  "#include[ \t]*[<\"]boost/beast"
  "#include[ \t]*[<\"]Q[A-Za-z]"
  "#include[ \t]*[<\"]qt"
  "#include[ \t]*[<\"]openssl"
  "#include[ \t]*[<\"](sim|real|viz)/"
  "std::thread"
  "system_clock"
  "steady_clock::now"
  "high_resolution_clock"
  "sleep_for"
  "[^_a-zA-Z0-9]rand\\("
  "random_device"
  "[^_a-zA-Z0-9]time\\("
  "getenv")
set(bad "")
foreach(f ${files})
  file(STRINGS ${f} lines)
  set(n 0)
  foreach(line IN LISTS lines)
    math(EXPR n "${n}+1")
    foreach(p ${patterns})
      if(line MATCHES "${p}")
        string(APPEND bad "  ${f}:${n}: matches '${p}': ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
list(LENGTH files count)
if(count EQUAL 0)
  message(FATAL_ERROR "no engine sources found under ${ENGINE_DIR}")
endif()
if(bad)
  message(FATAL_ERROR "engine/ breaks the seam (DESIGN.md):\n${bad}")
endif()
message(STATUS "layering ok: ${count} engine files checked")
