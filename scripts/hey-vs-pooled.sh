#!/usr/bin/env bash
# hey-vs-pooled.sh: does poolbench's pooled client (P = 64) keep up with
# `hey -c 64` against the same zero-latency upstream, in the same run?
#
#   scripts/hey-vs-pooled.sh [ITEMS] [ROUNDS]     (defaults 50000 and 3)
#
# Starts `poolbench mock --latency 0` on 127.0.0.1, then alternates hey and
# `poolbench run` (pooled, P = 64, the same number of requests) ROUNDS
# times, and prints each figure in requests per second and the median of
# the ratios pooled / hey. Needs hey (apt-get install -y hey). Wrap it in
# `flock /work/measure.lock` on a shared machine.
set -euo pipefail
items=${1:-50000}
rounds=${2:-3}
cd "$(dirname "$0")/.."
command -v hey >/dev/null || { echo "hey not found: apt-get install -y hey" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/poolbench" .
"$tmp/poolbench" mock --latency 0 >"$tmp/mock.out" 2>"$tmp/mock.err" &
mock_pid=$!
for _ in $(seq 100); do
  url=$(sed -n 's/^mock upstream listening on //p' "$tmp/mock.out" | head -1)
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { echo "mock did not start" >&2; cat "$tmp/mock.err" >&2; exit 1; }
cat >"$tmp/zero.yaml" <<YAML
name: zero-latency
description: pooled P=64 against an external zero-latency mock
items: $items
target:
  url: $url/item
client:
  retry:
    max_attempts: 1
sweep:
  strategies: [pooled]
  pool_sizes: [64]
YAML
ratios=()
for r in $(seq "$rounds"); do
  h=$(hey -n "$items" -c 64 "$url/item" | awk '/Requests\/sec/ {print $2}')
  "$tmp/poolbench" run -out "$tmp/out" "$tmp/zero.yaml" >/dev/null 2>&1
  p=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["cells"][0]; print("%.0f" % (c["items"]/c["wall_seconds"]))' "$tmp/out/results.json")
  ratio=$(python3 -c "print('%.3f' % ($p/$h))")
  ratios+=("$ratio")
  echo "round $r: hey -c 64 $h req/s, poolbench pooled P=64 $p req/s, ratio $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print "median ratio pooled/hey: " a[int((NR+1)/2)]}'
