#!/usr/bin/env bash
# client-vs-peers.sh: how much does poolbench's client cost per request,
# next to the load generators people use? Closed loop, 64 in flight, the
# same static file from nginx (one worker, 127.0.0.1), in alternating
# rounds: wrk, hey, fortio, vegeta and poolbench's pooled(64) client. On a
# 2-core machine client and server share the CPUs: the cheaper the client
# per request, the more requests per second the pair does.
#
#   scripts/client-vs-peers.sh [ROUNDS] [REQUESTS]     (defaults 3 and 100000)
#
# Prints every run's requests per second and the CPU the tool's process
# spent per request (user + system, /usr/bin/time; poolbench's includes its
# ~0.5 s calibration), then per tool the medians and ranges, and the
# medians' ratios poolbench / each peer. poolbench-h2 is the same client
# over h2c (target http: 2) to a second nginx server with http2. A missing tool is
# skipped with a note. Needs nginx; wrk, hey, fortio and vegeta as found
# (apt-get install wrk hey; go install fortio.org/fortio@v1.63.0 (v1.69.0
# and later need grol.io/grol, which the module proxy refused here: 403)
# github.com/tsenart/vegeta/v12@latest). Holds /work/measure.lock (or
# $MEASURE_LOCK) throughout.
set -euo pipefail
rounds=${1:-3}
requests=${2:-100000}
conc=64
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:$(go env GOPATH)/bin"
command -v nginx >/dev/null || { echo "nginx not found: apt-get install nginx-light" >&2; exit 2; }
tmp=$(mktemp -d)
ngx_pid=
trap '[ -n "$ngx_pid" ] && kill "$ngx_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/poolbench" .
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport)
port2=$(freeport)
mkdir -p "$tmp/www" "$tmp/tmp"
echo ok >"$tmp/www/ok.txt"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/tmp;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; root $tmp/www; }
  server { listen 127.0.0.1:$port2 http2; root $tmp/www; http2_max_concurrent_streams 1024; }
}
CONF
nginx -p "$tmp" -c "$tmp/nginx.conf" &
ngx_pid=$!
url=http://127.0.0.1:$port/ok.txt
for _ in $(seq 100); do curl -sf "$url" >/dev/null 2>&1 && break; sleep 0.05; done
cat >"$tmp/pool.yaml" <<YAML
name: client-vs-peers
items: $requests
target: {url: "$url"}
client: {retry: {max_attempts: 1}}
sweep: {strategies: [pooled], pool_sizes: [$conc]}
YAML
sed "s|target: {url: \"$url\"}|target: {url: \"http://127.0.0.1:$port2/ok.txt\", http: 2}|" "$tmp/pool.yaml" >"$tmp/pool-h2.yaml"

# Each prints requests per second and the requests it sent.
run_wrk() { wrk -t1 -c$conc -d5s "$url" | awk '/requests in/ {n=$1} /Requests\/sec/ {print $2, n}'; }
run_hey() { hey -n "$requests" -c $conc "$url" | awk -v n="$requests" '/Requests\/sec/ {print $2, n}'; }
run_fortio() { fortio load -quiet -c $conc -qps 0 -n "$requests" "$url" 2>&1 | sed -n "s/.*All done \([0-9]*\) calls .* \([0-9.]*\) qps.*/\2 \1/p"; }
run_vegeta() {
	echo "GET $url" | vegeta attack -rate=0 -max-workers=$conc -workers=$conc -duration=5s 2>/dev/null |
		vegeta report -type=json | python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f %d" % (r["throughput"], r["requests"]))'
}
pb() {
	"$tmp/poolbench" run -out "$tmp/pb" "$1" >/dev/null 2>&1 || true
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["cells"][0]; print("%.0f %d" % (c["attempts"]/c["wall_seconds"], c["attempts"]))' "$tmp/pb/results.json"
}
run_poolbench() { pb "$tmp/pool.yaml"; }
run_poolbench-h2() { pb "$tmp/pool-h2.yaml"; }

tools=()
for t in wrk hey fortio vegeta; do
	if command -v "$t" >/dev/null; then tools+=("$t"); else echo "note: $t not found, skipped" >&2; fi
done
tools+=(poolbench poolbench-h2)

exec 9>"${MEASURE_LOCK:-/work/measure.lock}"
flock 9
: >"$tmp/figures"
for r in $(seq "$rounds"); do
	# Rotate the order each round, so no tool always runs first.
	n=${#tools[@]}
	for i in $(seq 0 $((n - 1))); do
		t=${tools[$(((i + r) % n))]}
		v=$(/usr/bin/time -f "%U %S" -o "$tmp/cpu" bash -c "$(declare -f "run_$t" pb); url=$url conc=$conc requests=$requests tmp=$tmp; run_$t")
		read -r rps sent <<<"$v"
		cpu=$(awk -v n="$sent" 'END {printf "%.1f", ($1 + $2) / n * 1e6}' "$tmp/cpu")
		echo "round $r: $t $rps req/s, $cpu µs CPU per request (load $(cut -d' ' -f1 /proc/loadavg))"
		echo "$t $rps $cpu" >>"$tmp/figures"
	done
done
python3 - "$tmp/figures" <<'PY'
import statistics, sys
by = {}
cpu = {}
for line in open(sys.argv[1]):
    t, v, c = line.split()
    by.setdefault(t, []).append(float(v))
    cpu.setdefault(t, []).append(float(c))
med = {t: statistics.median(v) for t, v in by.items()}
print()
for t, v in by.items():
    c = cpu[t]
    print(f"{t:12} median {med[t]:8.0f} req/s  [{min(v):.0f} … {max(v):.0f}]   CPU {statistics.median(c):6.1f} µs/request  [{min(c):.1f} … {max(c):.1f}]")
pb = med.get("poolbench")
if pb:
    print()
    for t in med:
        if t != "poolbench":
            print(f"poolbench / {t}: {pb / med[t]:.2f}")
PY
