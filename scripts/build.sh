#!/usr/bin/env bash
# Configures and builds mabeam into build/ (Release with debug info, ccache when present).
# Extra arguments go to cmake's configure step, e.g. -DMABEAM_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build build
