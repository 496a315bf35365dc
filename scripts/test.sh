#!/usr/bin/env bash
# Builds mabeam with warnings as errors and runs every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh -DMABEAM_WERROR=ON
# The JUnit file lets .ci/run tell which tests ran (a viewer that was not built has none).
ctest --test-dir build --output-on-failure -j2 --timeout 300 --output-junit ctest-junit.xml
