#!/bin/sh
# Rewrites tests/data/trace_pins.json: the trace sha256 of each pinned scenario at its own
# seed, as this build computes it. Run it only when a change of behaviour is on purpose, and
# say in the commit why the traces changed (tests/sim/test_determinism.cpp checks the pins).
set -eu
cd "$(dirname "$0")/.."
MABEAM=${MABEAM:-build/app/mabeam}
PINS=tests/data/trace_pins.json
[ -x "$MABEAM" ] || { echo "pin-traces: $MABEAM not built (scripts/build.sh)" >&2; exit 2; }
names="crash-restart minority-partition swim-partition variables-partition-2-3 variables-causal consensus-leader-crash"
{
  echo "{"
  sep=""
  for n in $names; do
    hash=$("$MABEAM" sim "scenarios/$n.json" | sed -n 's/^trace sha256 //p')
    [ -n "$hash" ] || { echo "pin-traces: no trace hash from scenarios/$n.json" >&2; exit 1; }
    printf '%s  "%s": "%s"' "$sep" "$n" "$hash"
    sep=",
"
  done
  printf '\n}\n'
} > "$PINS.tmp"
mv "$PINS.tmp" "$PINS"
echo "pin-traces: wrote $PINS"
