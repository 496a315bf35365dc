#!/usr/bin/env bash
# The flagship demo: a five-node cluster split 2/3 by a partition, a crash inside the
# majority, a heal. Runs it in the simulator, prints the report and a trace summary, then
# opens the trace in the viewer (or, with no display, renders a screenshot of it).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
scenario=scenarios/minority-partition.json
echo "== mabeam sim $scenario"
build/app/mabeam sim "$scenario" --trace out/minority-partition.jsonl --report out/minority-partition.report.json
echo
echo "== the same seed again: the trace is byte for byte the same"
build/app/mabeam sim "$scenario" --trace out/minority-partition.again.jsonl > /dev/null
sha256sum out/minority-partition.jsonl out/minority-partition.again.jsonl
echo
echo "== mabeam check scenarios/"
build/app/mabeam check scenarios
echo
if [[ -x build/app/mabeam ]] && build/app/mabeam trace --help > /dev/null 2>&1; then
  echo "== mabeam trace summary (first lines)"
  build/app/mabeam trace summary out/minority-partition.jsonl | head -40
  echo
fi
if [[ ! -x build/viz/mabeam-viz ]]; then
  echo "== the viewer was not built (configured with -DMABEAM_BUILD_VIZ=OFF): run scripts/install-deps.sh, then scripts/build.sh" >&2
  exit 1
fi
if [[ -x build/viz/mabeam-viz ]]; then
  if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
    echo "== opening the viewer"
    build/viz/mabeam-viz out/minority-partition.jsonl
  else
    echo "== no display: rendering the viewer at 14s (during the partition) to out/minority-partition-14s.png"
    QT_QPA_PLATFORM=offscreen build/viz/mabeam-viz out/minority-partition.jsonl --screenshot out/minority-partition-14s.png --at 14s
  fi
fi
