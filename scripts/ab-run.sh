#!/usr/bin/env bash
# ab-run.sh: two sets of `poolbench run` flags, A and B, in alternating
# rounds on one scenario; per round and side, every cell's measured
# harness figures, and at the end their medians and ranges by side.
#
#   scripts/ab-run.sh ROUNDS SCENARIO "FLAGS A" "FLAGS B"
#   e.g. scripts/ab-run.sh 6 cap-sweep "-pools 1 -strategies pooled -timescale 0.1" \
#                                      "-pools 1 -strategies pooled -timescale 0.1 -keep-awake"
#
# Takes /work/measure.lock (or $MEASURE_LOCK) so no other timing run
# overlaps. Needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 4 ] || { echo "usage: $0 ROUNDS SCENARIO 'FLAGS A' 'FLAGS B'" >&2; exit 2; }
rounds=$1 scenario=$2 a=$3 b=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/poolbench" .
exec 9>"${MEASURE_LOCK:-/work/measure.lock}"
flock 9
for i in $(seq "$rounds"); do
	# shellcheck disable=SC2086 # the flags are meant to split
	"$tmp/poolbench" run -out "$tmp/A$i" $a "$scenario" >/dev/null 2>&1 || true
	# shellcheck disable=SC2086
	"$tmp/poolbench" run -out "$tmp/B$i" $b "$scenario" >/dev/null 2>&1 || true
done
python3 - "$tmp" "$rounds" "$a" "$b" <<'PY'
import json, statistics, sys
tmp, rounds, flags = sys.argv[1], int(sys.argv[2]), {"A": sys.argv[3], "B": sys.argv[4]}
rows = {"A": [], "B": []}
for i in range(1, rounds + 1):
    for side in "AB":
        try:
            r = json.load(open(f"{tmp}/{side}{i}/results.json"))
        except OSError:
            print(f"round {i} {side}: no results")
            continue
        for c in r["cells"]:
            h = c.get("harness") or {}
            rows[side].append((c.get("efficiency") or 0, h.get("added_per_attempt", 0), h.get("wait_lateness", 0), h.get("error", 0), c.get("wall_seconds", 0)))
def line(vals, scale=1, fmt="{:.3f}"):
    vals = sorted(v * scale for v in vals)
    return f"median {fmt.format(statistics.median(vals))} [{fmt.format(vals[0])} … {fmt.format(vals[-1])}]"
for side in "AB":
    if not rows[side]:
        continue
    col = list(zip(*rows[side]))
    print(f"{side} ({flags[side]}), {len(rows[side])} cells over {rounds} rounds")
    print(f"  efficiency          {line(col[0])}")
    print(f"  added per attempt   {line(col[1], 1e3)} ms")
    print(f"  wait lateness       {line(col[2], 1e3)} ms")
    print(f"  estimated error     {line(col[3], 100, '{:.2f}')} %")
    print(f"  wall time of a cell {line(col[4], 1, '{:.2f}')} s")
PY
