#!/usr/bin/env bash
# perf.sh: poolbench's performance figures, printed by `make perf`, in
# sections (one a function; add yours below and to the list at the end).
# Every section times under /work/measure.lock (or $MEASURE_LOCK): run it
# on a quiet machine; each figure is quoted with the load beside it.
#
#   scripts/perf.sh [SECTION...]     (default: every section)
set -euo pipefail
cd "$(dirname "$0")/.."

# client: poolbench's pooled(64) client (HTTP/1.1 and h2c) against nginx
# next to wrk, hey, fortio and vegeta: requests/s and CPU per request,
# medians of alternating rounds with their ranges.
section_client() {
	echo "== client: pooled(64) vs peers against nginx (${PERF_ROUNDS:-3} rounds, ${PERF_REQUESTS:-100000} requests)"
	scripts/client-vs-peers.sh "${PERF_ROUNDS:-3}" "${PERF_REQUESTS:-100000}"
}

# predict: `poolbench predict` at 1,000,000 items and pool 10,000 for every
# built-in scenario (central, and with ranges) and at 10,000,000 (central,
# with its max RSS): medians of rounds with ranges.
section_predict() {
	echo "== predict: 1M and 10M items at pool 10000, every built-in scenario (${PERF_ROUNDS:-3} rounds)"
	scripts/predict-perf.sh "${PERF_ROUNDS:-3}"
}

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(client predict)
for s in "${sections[@]}"; do
	"section_$s"
done
