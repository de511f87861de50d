#!/usr/bin/env bash
# bench-mock.sh — measure the mock upstream with wrk (issue 2, "Speed").
#
#   scripts/bench-mock.sh [ROUNDS] [BASE_BIN]
#                                       (default 3 rounds; needs wrk, and fortio
#                                        for the zero-latency comparison)
#
# With BASE_BIN (another poolbench binary, e.g. built from an older commit)
# the fidelity rounds alternate its loop engine ("base") with this tree's.
#
# 1. fidelity: poolbench mock --latency 10ms, wrk -t1 -c200 -d5s, ROUNDS
#    times, alternating the loop engine (the default on Linux) with the
#    net/http engine (--engine http) for reference; prints the medians.
#    target: >= 95% of the ideal 200/10ms = 20,000 req/s, mean <= 10.5 ms.
# 2. zero latency: poolbench mock --latency 0s vs `fortio server`, wrk -t1
#    -c64 -d5s against each, alternating, ROUNDS times; prints each ratio and
#    their median (target: ratio >= 1).
# 3. rejection bursts: poolbench mock --cap 1 --overflow reject (one request
#    in service for 60 s, every other one answered 503 at once) vs nginx's
#    `return 503` (one worker), wrk -t1 -c256 -d5s, alternating; prints the
#    rejections per second and their median ratio (needs nginx).
# Each wrk run holds /work/measure.lock (or $MEASURE_LOCK) so measurements on
# a shared machine do not overlap. Everything binds 127.0.0.1.
set -euo pipefail
rounds=${1:-3}
base_bin=${2:-}
lock=${MEASURE_LOCK:-/work/measure.lock}
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/poolbench
go build -o "$bin" .
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_mock ARGS... : starts poolbench mock ($mock_bin, default $bin), sets $url
start_mock() {
	local out; out=$(mktemp)
	"${mock_bin:-$bin}" mock "$@" >"$out" 2>/dev/null &
	pids+=($!)
	for _ in $(seq 100); do
		url=$(head -1 "$out" | sed -n 's/^mock upstream listening on //p')
		[ -n "$url" ] && return 0
		sleep 0.05
	done
	echo "mock did not start" >&2; exit 1
}

# measure URL CONNS: prints "req/s mean_ms"
measure() {
	flock "$lock" wrk -t1 -c"$2" -d5s "$1" | awk '
		/Requests\/sec/ {rps=$2}
		/^    Latency/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; mean=v}
		END {printf "%s %s\n", rps, mean}'
}

# median FILE: the median of the numbers in FILE, one per line
median() { sort -n "$1" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

echo "== fidelity: 10ms latency, 200 connections, 5 s (ideal 20000 req/s)"
start_mock --latency 10ms
mock10=$url
start_mock --latency 10ms --engine http
http10=$url
engines="loop http"
if [ -n "$base_bin" ]; then
	mock_bin=$base_bin start_mock --latency 10ms
	base10=$url
	engines="loop base http"
fi
tmp=$(mktemp -d)
for r in $(seq "$rounds"); do
	for engine in $engines; do
		case $engine in loop) target=$mock10 ;; base) target=$base10 ;; http) target=$http10 ;; esac
		read -r rps mean < <(measure "$target/" 200)
		echo "$rps" >>"$tmp/$engine.rps"; echo "$mean" >>"$tmp/$engine.mean"
		awk -v r="$r" -v e="$engine" -v rps="$rps" -v mean="$mean" 'BEGIN{printf "round %d %-4s: %.0f req/s (%.1f%% of ideal), mean %.2f ms\n", r, e, rps, 100*rps/20000, mean}'
	done
done
for engine in $engines; do
	awk -v e="$engine" -v rps="$(median "$tmp/$engine.rps")" -v mean="$(median "$tmp/$engine.mean")" 'BEGIN{printf "median %-4s: %.0f req/s (%.1f%% of ideal), mean %.2f ms\n", e, rps, 100*rps/20000, mean}'
done
echo -n "loop engine's own service time: "
curl -s "$mock10/_mock/stats" | grep -A6 '"service_time"' | tr -d '\n ' ; echo

echo "== zero latency, 64 connections: poolbench mock vs fortio server"
start_mock --latency 0s
mock0=$url
if command -v fortio >/dev/null; then
	port=$(( 20000 + RANDOM % 20000 ))
	fortio server -http-port "127.0.0.1:$port" -grpc-port disabled -redirect-port disabled >/dev/null 2>&1 &
	pids+=($!)
	fortio_url="http://127.0.0.1:$port/echo"
	for _ in $(seq 100); do curl -sf "$fortio_url" >/dev/null 2>&1 && break; sleep 0.1; done
	ratios=()
	for r in $(seq "$rounds"); do
		read -r m _ < <(measure "$mock0/" 64)
		read -r f _ < <(measure "$fortio_url" 64)
		ratio=$(awk -v m="$m" -v f="$f" 'BEGIN{printf "%.3f", m/f}')
		ratios+=("$ratio")
		echo "round $r: mock $m req/s, fortio $f req/s, ratio $ratio"
	done
	printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END{printf "median ratio mock/fortio: %s\n", a[int((NR+1)/2)]}'
	echo "== reference: fortio server with delay=10ms, 200 connections"
	read -r rps mean < <(measure "$fortio_url?delay=10ms" 200)
	awk -v rps="$rps" -v mean="$mean" 'BEGIN{printf "fortio: %.0f req/s (%.1f%% of ideal), mean %.2f ms\n", rps, 100*rps/20000, mean}'
else
	read -r m _ < <(measure "$mock0/" 64)
	echo "mock: $m req/s (fortio not installed: go install fortio.org/fortio@v1.66.0)"
fi

echo "== rejection bursts, 256 connections: poolbench mock (cap 1, reject) vs nginx return 503"
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
	start_mock --latency 60s --cap 1 --overflow reject
	reject_url=$url
	# One request takes the only slot for the whole measurement.
	curl -s -m 70 "$reject_url/" >/dev/null 2>&1 &
	pids+=($!)
	nport=$(( 20000 + RANDOM % 20000 ))
	ndir=$(mktemp -d)
	mkdir -p "$ndir/tmp"
	cat >"$ndir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $ndir/nginx.pid;
error_log $ndir/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $ndir/tmp; keepalive_requests 1000000;
  server { listen 127.0.0.1:$nport; location / { return 503 "over capacity"; } } }
CONF
	PATH=$PATH:/usr/sbin nginx -p "$ndir" -c "$ndir/nginx.conf" &
	pids+=($!)
	for _ in $(seq 100); do curl -s "http://127.0.0.1:$nport/" >/dev/null 2>&1 && break; sleep 0.1; done
	ratios=()
	for r in $(seq "$rounds"); do
		read -r m _ < <(measure "$reject_url/" 256)
		read -r n _ < <(measure "http://127.0.0.1:$nport/" 256)
		ratio=$(awk -v m="$m" -v n="$n" 'BEGIN{printf "%.3f", m/n}')
		ratios+=("$ratio")
		echo "round $r: mock rejects $m/s, nginx 503s $n/s, ratio $ratio"
	done
	printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END{printf "median ratio mock/nginx: %s\n", a[int((NR+1)/2)]}'
else
	echo "nginx not found: apt-get install nginx-light"
fi
