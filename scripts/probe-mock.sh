#!/usr/bin/env bash
# probe-mock.sh — the mock's robustness probes (mocksrv/internal/mockprobe).
#
#   scripts/probe-mock.sh PROBE [ENGINE] [BIN] [PROBE FLAGS...]
#
# PROBE is pipeline (300 clients pipelining, never reading: the mock's RSS)
# or chunked (a 1 MiB body in 1-byte chunks, 250-byte segments 1 ms apart:
# the mock's CPU, and another client's latency against a 1 ms mock).
# ENGINE is loop (default) or http; BIN a poolbench binary (default: built
# from this tree). The probe holds /work/measure.lock (or $MEASURE_LOCK).
set -euo pipefail
probe=${1:?pipeline or chunked}
engine=${2:-loop}
bin=${3:-}
shift $(( $# < 3 ? $# : 3 ))
lock=${MEASURE_LOCK:-/work/measure.lock}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
[ -n "$bin" ] || { bin=$tmp/poolbench; go build -o "$bin" .; }
go build -o "$tmp/mockprobe" ./mocksrv/internal/mockprobe
out=$tmp/mock.out
"$bin" mock --latency 1ms --engine "$engine" >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
url=
for _ in $(seq 100); do
	url=$(head -1 "$out" | sed -n 's/^mock upstream listening on //p')
	[ -n "$url" ] && break
	sleep 0.05
done
[ -n "$url" ] || { echo "mock did not start" >&2; exit 1; }
flock "$lock" "$tmp/mockprobe" -addr "${url#http://}" -pid "$pid" "$probe" "$@"
