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

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(client)
for s in "${sections[@]}"; do
	"section_$s"
done
