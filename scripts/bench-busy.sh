#!/usr/bin/env bash
# bench-busy.sh: make TARGET (bench, or verify-model) on a quiet machine
# and with two CPU-bound processes competing (nice 0, started here),
# alternating, ROUNDS rounds. Prints per run: wall seconds, the exit status,
# the load poolbench measured, how many cells it re-ran and flagged, its
# headline and recommendation; then the ratio of the busy medians to the
# quiet ones. Each run's terminal output and seed-816s results stay in
# $KEEP (default reports/bench-busy). Timing runs hold /work/measure.lock
# (or $LOCK) so no two measurements overlap.
#
#   scripts/bench-busy.sh [ROUNDS [TARGET]]      defaults 1, bench
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
target=${2:-bench}
case $target in bench | verify-model) ;; *) echo "bench-busy.sh: TARGET is bench or verify-model, not $target" >&2; exit 2 ;; esac
lock=${LOCK:-/work/measure.lock}
make -s build >/dev/null
out=${KEEP:-reports/bench-busy}
rm -rf "$out" && mkdir -p "$out"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

one() { # one MODE ROUND
	local mode=$1 r=$2 dir="$out/$1-$2" hogs=()
	if [ "$mode" = busy ]; then
		for _ in 1 2; do nice -n 0 sh -c 'while :; do :; done' & hogs+=($!); done
	fi
	local t0=$(date +%s.%N)
	local rc=0
	make -s "$target" >"$dir.log" 2>&1 || rc=$?
	local t1=$(date +%s.%N)
	[ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}"
	local seed=reports/seed-816s
	[ "$target" = bench ] || seed=reports/verify-model/seed-816s
	cp -r "$seed" "$dir-seed"
	local wall=$(echo "$t1 - $t0" | bc)
	local reruns=$(grep -c '^re-running' "$dir.log" || true)
	local load=$(grep -m1 '^machine:' "$dir.log" | sed 's/ while poolbench.*(/ (/; s/): .*//')
	local flagged=$(python3 -c "import json;c=json.load(open('$dir-seed/results.json'))['cells'];print(sum(1 for x in c if (x.get('harness') or {}).get('bound')))")
	local rec=$(grep -m1 '^Recommended:' "$dir.log" | sed 's/, the smallest.*//' || true)
	local head=$(grep -m1 ' → ' "$dir.log" || true)
	[ "$target" = bench ] || head=$(grep -E '(every cell|cells fall outside)' "$dir.log" | tr '\n' ' ' || true)
	printf '%s round %d: %6.1f s, exit %d; %s; %d re-runs; seed-816s: %s flagged; %s\n    %s\n' "$mode" "$r" "$wall" "$rc" "$load" "$reruns" "$flagged" "$rec" "$head"
	echo "$mode $wall" >>"$out/walls"
}

for r in $(seq "$rounds"); do
	flock "$lock" bash -c "$(declare -f one); out=$out; target=$target; one quiet $r"
	flock "$lock" bash -c "$(declare -f one); out=$out; target=$target; one busy $r"
done
python3 - "$out/walls" "$target" <<'PY'
import sys, statistics as st
w = {}
for line in open(sys.argv[1]):
    m, v = line.split(); w.setdefault(m, []).append(float(v))
q, b = st.median(w["quiet"]), st.median(w["busy"])
print(f"median make {sys.argv[2]}: quiet {q:.1f} s, busy {b:.1f} s: busy/quiet {b/q:.2f}x (the aim: at most 2x)")
PY
