#!/usr/bin/env bash
# allocs.sh: the allocations per operation of the simulation, the client's
# and the mock's per-request work, held to a committed baseline.
#
#   scripts/allocs.sh check    run the benchmarks, compare with the baseline (exit 1 on more allocations)
#   scripts/allocs.sh record   re-record the baseline deliberately (then review and commit it)
#
# Allocations per operation do not depend on the machine's load, so the
# gate holds them exactly (poolbench compare -allocs: any benchmark that
# allocates more per operation than the baseline, or is missing, fails);
# each benchmark runs a fixed number of operations (-benchtime=Nx) so the
# figure reads the same run after run. Times and bytes per operation are
# printed beside them, not gated. The baseline is reports/baseline/allocs.txt
# (or $ALLOCS_BASELINE); the new run goes to bin/allocs.txt. POOLBENCH is
# the binary that compares (default: go run .).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?check or record}
GO=${GO:-go}
baseline=${ALLOCS_BASELINE:-reports/baseline/allocs.txt}
out=bin/allocs.txt
mkdir -p bin "$(dirname "$baseline")"

# package, benchmarks, operations per run
benches=(
	"./bench/model BenchmarkSimulate$ 3x"
	"./bench/sweep BenchmarkStrategyZeroLatency 2000x"
	"./mocksrv BenchmarkServeHTTP 20000x"
)
: >"$out.tmp"
for b in "${benches[@]}"; do
	read -r pkg pattern n <<<"$b"
	"$GO" test -run '^$' -bench "$pattern" -benchmem -benchtime="$n" -count 3 "$pkg" >>"$out.tmp"
done
mv "$out.tmp" "$out"

case $mode in
record)
	cp "$out" "$baseline"
	echo "allocs: recorded $baseline; review and commit it"
	;;
check)
	if [ -n "${POOLBENCH:-}" ]; then
		"$POOLBENCH" compare -allocs "$baseline" "$out"
	else
		"$GO" run . compare -allocs "$baseline" "$out"
	fi
	;;
*)
	echo "allocs.sh: unknown mode $mode: want check or record" >&2
	exit 2
	;;
esac
