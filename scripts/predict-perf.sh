#!/usr/bin/env bash
# predict-perf.sh: how long `poolbench predict` takes, as a whole process,
# for every built-in scenario at 1,000,000 items and pool 10,000 (the
# central cells alone, -runs 0, and with their ranges) and at 10,000,000
# items (central), with the largest resident set of each (max RSS,
# /usr/bin/time -v). Rounds alternate the scenarios' order; each figure is
# the median of ROUNDS with its range.
#
#   scripts/predict-perf.sh [ROUNDS]     (default 3)
#
# Holds /work/measure.lock (or $MEASURE_LOCK) throughout; prints the load
# average before and after.
set -euo pipefail
rounds=${1:-3}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/poolbench" .
mapfile -t scenarios < <("$tmp/poolbench" scenarios | awk 'NF == 0 {exit} {print $1}')
modes=("1M -items 1000000 -pools 10000 -runs 0" "1M+range -items 1000000 -pools 10000" "10M -items 10000000 -pools 10000 -runs 0")

exec 9>"${MEASURE_LOCK:-/work/measure.lock}"
flock 9
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
	order=("${scenarios[@]}")
	[ $((r % 2)) = 0 ] && order=($(printf '%s\n' "${scenarios[@]}" | tac))
	for s in "${order[@]}"; do
		for m in "${modes[@]}"; do
			read -r name args <<<"$m"
			# shellcheck disable=SC2086
			/usr/bin/time -f "%e %M" -o "$tmp/t" "$tmp/poolbench" predict $args "$s" >/dev/null
			read -r secs kb <"$tmp/t"
			echo "$s $name $secs $kb" >>"$tmp/all"
		done
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# median [min–max] of column 3 (seconds) and the median max RSS in MB.
printf '%-16s %-26s %-26s %-26s %s\n' scenario "1M central s" "1M with range s" "10M central s" "10M max RSS MB"
for s in "${scenarios[@]}"; do
	line=$(printf '%-16s' "$s")
	for name in 1M 1M+range 10M; do
		line+=$(awk -v s="$s" -v n="$name" '$1==s && $2==n {print $3}' "$tmp/all" | sort -g |
			awk '{v[NR]=$1} END {printf " %-26s", sprintf("%.2f [%.2f–%.2f]", v[int((NR+1)/2)], v[1], v[NR])}')
	done
	line+=$(awk -v s="$s" '$1==s && $2=="10M" {print $4}' "$tmp/all" | sort -g |
		awk '{v[NR]=$1} END {printf " %.0f", v[int((NR+1)/2)]/1024}')
	echo "$line"
done
