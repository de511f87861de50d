#!/usr/bin/env bash
# gate.sh: a CI gate on a scenario of your own — run it, compare it with
# the baseline you committed, and fail the job on a confirmed regression.
#
#   scripts/gate.sh check  SCENARIO BASELINE_DIR [OUT_DIR] [-- RUN FLAGS]   exit 0 ok, 1 regression, 2 bad input
#   scripts/gate.sh record SCENARIO BASELINE_DIR [-- RUN FLAGS]             re-record the baseline (then commit it)
#
# SCENARIO is a scenario file (or a built-in name); BASELINE_DIR holds the
# committed results.json and results.bench.txt; OUT_DIR (default
# reports/<scenario file's base name>) gets the new run's files. The
# service the scenario's target: points at must be up (your CI starts it).
#
# A regression is confirmed by a second, independent run before the gate
# fails: a real one reproduces; a burst of load from another job on a
# shared runner does not. poolbench runs at raised priority where allowed
# (nice -n -10; elsewhere nice says so and it runs as is).
#
#   POOLBENCH  the poolbench binary (default: poolbench on PATH)
#   NICE       the priority wrapper (default: nice -n -10; empty for none)
set -euo pipefail
pb=${POOLBENCH:-poolbench}
nice_cmd=${NICE-nice -n -10}
usage() { echo "usage: $0 check|record SCENARIO BASELINE_DIR [OUT_DIR] [-- RUN FLAGS]" >&2; exit 2; }
[ $# -ge 3 ] || usage
mode=$1 scenario=$2 baseline=$3
shift 3
name=$(basename "${scenario%.*}")
out=reports/$name
if [ $# -gt 0 ] && [ "$1" != "--" ]; then out=$1; shift; fi
[ "${1:-}" = "--" ] && shift
run_flags=("$@")

run() { $nice_cmd "$pb" run -out "$1" "${run_flags[@]}" "$scenario"; }

case "$mode" in
record)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	run "$tmp/run"
	mkdir -p "$baseline"
	cp "$tmp/run/results.json" "$tmp/run/results.bench.txt" "$baseline/"
	echo "gate: baseline recorded in $baseline: review it (git diff --stat) and commit it"
	;;
check)
	# The run's own exit status is not the gate's: a run over thresholds or
	# with harness-bound cells still writes what compare reads.
	run "$out" || echo "gate: poolbench run exited $?; comparing what it wrote"
	rc=0
	"$pb" compare "$baseline" "$out" || rc=$?
	if [ "$rc" -eq 1 ]; then
		echo "gate: regression reported; running $scenario again to confirm it ($out-confirm)"
		run "$out-confirm" || echo "gate: poolbench run exited $?; comparing what it wrote"
		rc=0
		"$pb" compare "$baseline" "$out-confirm" || rc=$?
		[ "$rc" -eq 0 ] && echo "gate: not confirmed by the second run: machine noise, not a regression"
	fi
	exit "$rc"
	;;
*) usage ;;
esac
