#!/usr/bin/env bash
# gate.sh: a CI gate on a scenario of your own — run it, compare it with
# the baseline you committed, and fail the job unless the service was
# measured and did not regress.
#
#   scripts/gate.sh check  SCENARIO BASELINE_DIR [OUT_DIR] [-- RUN FLAGS]
#   scripts/gate.sh record SCENARIO BASELINE_DIR [OUT_DIR] [-- RUN FLAGS]
#
# SCENARIO is a scenario file (or a built-in name); BASELINE_DIR holds the
# committed results.json and results.bench.txt; OUT_DIR (default
# reports/<scenario file's base name>) gets the new run's files and must not
# be the baseline. The service the scenario's target: points at must be up
# (your CI starts it).
#
# check passes (exit 0) only when a run it just made passed its own
# thresholds and compare judged every row of it against the baseline with
# no regression. Otherwise:
#   - a run that exits 2 (bad input) or 130/143 (interrupted) fails the gate
#     with its own status; nothing is compared, and nothing an earlier run
#     left in OUT_DIR is ever read (its results.json is removed first);
#   - a run that fails its own thresholds (exit 1), a regression (compare
#     exit 1) or a verdict compare cannot give (exit 3: timing set by the
#     harness, too few repeats) is run again into OUT_DIR-confirm: the gate
#     says "confirmed" and fails with the second run's status when it
#     fails again, or "not confirmed" and passes when the second run is
#     clean (a burst of load from another job on a shared runner does not
#     reproduce; a broken or slower service does).
# poolbench runs at raised priority where allowed (nice -n -10; elsewhere
# nice says so and it runs as is).
#
# Exit status: 0 pass; 1 regression or failed thresholds, confirmed; 2 bad
# input; 3 compare could not judge, confirmed; 130/143 interrupted.
#
#   POOLBENCH  the poolbench binary (default: poolbench on PATH)
#   NICE       the priority wrapper (default: nice -n -10; empty for none)
set -uo pipefail
pb=${POOLBENCH:-poolbench}
nice_cmd=${NICE-nice -n -10}
usage() {
	echo "usage: $0 check|record SCENARIO BASELINE_DIR [OUT_DIR] [-- RUN FLAGS]" >&2
	exit 2
}
[ $# -ge 3 ] || usage
mode=$1 scenario=$2 baseline=$3
shift 3
name=$(basename "${scenario%.*}")
out=reports/$name
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	out=$1
	shift
fi
[ "${1:-}" = "--" ] && shift
run_flags=("$@")

# The run's folder must not be the baseline (a check would compare the
# baseline with itself; a record would copy files onto themselves).
if [ "$(realpath -m -- "$out")" = "$(realpath -m -- "$baseline")" ]; then
	echo "gate: OUT_DIR $out is the baseline $baseline: give the new run a folder of its own" >&2
	exit 2
fi

# fresh_run DIR: run the scenario into DIR after removing what an earlier
# run left there for compare to read; sets run_rc.
fresh_run() {
	rm -f -- "$1/results.json" "$1/results.bench.txt"
	$nice_cmd "$pb" run -out "$1" "${run_flags[@]}" "$scenario"
	run_rc=$?
}

# judge DIR: one gate attempt on a run made into DIR. Exits the gate at
# once when there is nothing to judge; otherwise sets verdict (0 pass, 1
# failed, 3 undecided) and why.
judge() {
	fresh_run "$1"
	case $run_rc in
	0 | 1) ;;
	*)
		echo "gate: poolbench run exited $run_rc: nothing to compare, the gate fails" >&2
		exit "$run_rc"
		;;
	esac
	cmp_rc=0
	"$pb" compare "$baseline" "$1" || cmp_rc=$?
	case $cmp_rc in
	0 | 1 | 3) ;;
	*) exit "$cmp_rc" ;;
	esac
	verdict=0 why=""
	if [ "$run_rc" -ne 0 ]; then
		verdict=1 why="the run failed its own thresholds (poolbench run exited 1)"
	fi
	case $cmp_rc in
	1) verdict=1 why="${why:+$why; }compare found a regression" ;;
	3) [ "$verdict" -eq 0 ] && verdict=3
	   why="${why:+$why; }compare could not judge every row" ;;
	esac
}

case "$mode" in
record)
	fresh_run "$out"
	if [ "$run_rc" -ne 0 ]; then
		echo "gate: poolbench run exited $run_rc: no baseline recorded" >&2
		exit "$run_rc"
	fi
	mkdir -p -- "$baseline" || exit 2
	cp -- "$out/results.json" "$out/results.bench.txt" "$baseline/" || exit 2
	echo "gate: baseline recorded in $baseline from the run in $out: review it (git diff --stat) and commit it"
	;;
check)
	judge "$out"
	if [ "$verdict" -eq 0 ]; then
		echo "gate: pass: the service was measured and did not regress"
		exit 0
	fi
	echo "gate: $why; running $scenario again to confirm it ($out-confirm)"
	judge "$out-confirm"
	if [ "$verdict" -eq 0 ]; then
		echo "gate: not confirmed: the second run is clean (machine noise, not a regression); pass"
		exit 0
	fi
	echo "gate: confirmed by a second run: $why; the gate fails"
	exit "$verdict"
	;;
*) usage ;;
esac
