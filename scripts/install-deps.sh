#!/usr/bin/env bash
# Installs the Debian 12 packages mabeam needs to build, test and run its viewer, and only
# those that are missing (running it again installs nothing). Uses sudo when not root.
#
#   scripts/install-deps.sh            everything: build, viewer, tests
#   scripts/install-deps.sh --no-viz   without Qt; then build with
#                                      scripts/build.sh -DMABEAM_BUILD_VIZ=OFF (no viewer)
set -euo pipefail

build=(g++ cmake ninja-build ccache libboost1.81-dev nlohmann-json3-dev libcli11-dev catch2 libssl-dev)
# Qt6Charts' CMake package needs Qt6OpenGL's development files (libqt6opengl6-dev), which
# --no-install-recommends would otherwise leave out; the offscreen platform plugin renders
# screenshots and runs the viewer's tests without a display.
viz=(qt6-base-dev libqt6opengl6-dev qt6-charts-dev qt6-qpa-plugins)
# Tests: the schema check (python3-jsonschema), /metrics validation (promtool, from
# prometheus), the libFuzzer target (clang with its runtime).
tests=(python3 python3-jsonschema prometheus clang libclang-rt-14-dev)

want=("${build[@]}" "${tests[@]}")
if [[ "${1:-}" != "--no-viz" ]]; then want+=("${viz[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then missing+=("$p"); fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#want[@]} packages already installed"
  exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
# A package's service (prometheus) must not start here: only its promtool is used.
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
