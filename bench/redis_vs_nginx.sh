#!/usr/bin/env bash
# bench-redis: /analyze with SESSION_STORE=redis against nginx `return 200`,
# same box, same run, same load.
#
# nginx (1 worker, generated config, temp dir), redis-server (no
# persistence) and the gateway (WORKER_THREADS=1) on loopback ports; wrk
# -t1 -c50 -d10s posts the stress mix (bench/stress_mix.lua: 60% `ls -la`,
# 25% `grep -r "password" /var/log/`, 15% a reverse shell; 50 sessions)
# to each in turn: nginx, the gateway on the memory store, the gateway on
# Redis.  Prints req/s, p50/p99, each server's CPU time per request (and
# redis-server's), the Redis store's throughput over the memory store's,
# and the ratios gateway/nginx; the target is Redis >= 0.40 of nginx.  Afterwards it checks from the gateway's own
# metrics that the Redis run really went through Redis (every call's record
# timed, no store error), so a disconnected store cannot pass for a fast
# one.
# Bounded: 3 x SECS of load plus start-up, about 35 s by default (< 60 s).
#
# usage: bench/redis_vs_nginx.sh [seconds]      (PX_GATEWAY_BIN, default build/proxilion-gateway)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SECS=${1:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
GW_BIN=${PX_GATEWAY_BIN:-build/proxilion-gateway}
for tool in nginx wrk redis-server curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-redis: $tool not installed (make deps)"; exit 1; }
done
[ -x "$GW_BIN" ] || { echo "bench-redis: $GW_BIN not built"; exit 1; }
NGINX=$(command -v nginx)

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

wait_http() {
    for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done
    echo "bench-redis: $1 did not answer"; exit 1
}

NGINX_PORT=$(px_free_port)
px_nginx_conf "$TMP" "$NGINX_PORT"
"$NGINX" -e "$TMP/logs/error.log" -p "$TMP" -c "$TMP/nginx.conf" &
NGINX_PID=$!
PIDS+=($NGINX_PID)

REDIS_PORT=$(px_free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
    --logfile "$TMP/logs/redis.log" --daemonize no &
REDIS_PID=$!
PIDS+=($REDIS_PID)

# One gateway at a time, so that each run has the box to itself like nginx.
start_gateway() {   # store -> sets GW_PORT, GW_PID
    GW_PORT=$(px_free_port)
    env SESSION_STORE="$1" REDIS_URL="redis://127.0.0.1:$REDIS_PORT" WORKER_THREADS=1 \
        LISTEN_ADDR="127.0.0.1:$GW_PORT" "$GW_BIN" 2> "$TMP/logs/gateway-$1.log" &
    GW_PID=$!
    PIDS+=("$GW_PID")
    wait_http "http://127.0.0.1:$GW_PORT/health"
    for _ in $(seq 100); do
        curl -s "http://127.0.0.1:$GW_PORT/health" | grep -q '"status":"healthy"' && return 0
        sleep 0.05
    done
    echo "bench-redis: the gateway ($1) did not become healthy"; exit 1
}

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000} else print v}'; }
HZ=$(getconf CLK_TCK)
# run_wrk NAME URL SERVER_PID [REDIS_PID]: req/s, p50, p99, requests, then
# the CPU time per request (µs) of the server and of redis-server (0
# without): unlike req/s, it does not depend on how the cores were shared.
run_wrk() {
    local s0 r0=0 s1 r1=0
    s0=$(px_cpu_ticks "$3")
    [ -n "${4:-}" ] && r0=$(px_cpu_ticks "$4")
    wrk -t1 -c50 -d"${SECS}s" --latency -s "$HERE/stress_mix.lua" "$2" -- 50 > "$TMP/wrk-$1.txt"
    s1=$(px_cpu_ticks "$3")
    [ -n "${4:-}" ] && r1=$(px_cpu_ticks "$4")
    awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk-$1.txt"
    awk '$1=="50%" {print $2}' "$TMP/wrk-$1.txt" | to_ms
    awk '$1=="99%" {print $2}' "$TMP/wrk-$1.txt" | to_ms
    awk '/requests in/ {print $1}' "$TMP/wrk-$1.txt"
    awk -v s=$((s1 - s0)) -v r=$((r1 - r0)) -v hz="$HZ" '/requests in/ {n = $1}
        END {printf "%.2f\n%.2f\n", (n > 0 ? s / hz * 1e6 / n : 0), (n > 0 ? r / hz * 1e6 / n : 0)}' "$TMP/wrk-$1.txt"
    awk '/Socket errors/ {print "socket errors:", $0}' "$TMP/wrk-$1.txt" >&2
}
metric() { curl -s "http://127.0.0.1:$GW_PORT/metrics" | awk -v m="$1" 'index($0, m" ") == 1 {s += $NF} END {print s + 0}'; }
metric_sum() { curl -s "http://127.0.0.1:$GW_PORT/metrics" | awk -v m="$1" 'index($0, m) == 1 {s += $NF} END {print s + 0}'; }

wait_http "http://127.0.0.1:$NGINX_PORT/"
echo "bench-redis: wrk -t1 -c50 -d${SECS}s, stress mix over 50 sessions; nginx 1 worker, gateway WORKER_THREADS=1"
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
mapfile -t NG < <(run_wrk nginx "http://127.0.0.1:$NGINX_PORT/analyze" "$NGINX_WORKER")

start_gateway memory
mapfile -t MEM < <(run_wrk memory "http://127.0.0.1:$GW_PORT/analyze" "$GW_PID")
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true

start_gateway redis
mapfile -t RED < <(run_wrk redis "http://127.0.0.1:$GW_PORT/analyze" "$GW_PID" "$REDIS_PID")
RTT_COUNT=$(metric proxilion_redis_roundtrip_seconds_count)
RTT_SUM=$(metric proxilion_redis_roundtrip_seconds_sum)
STORE_ERRORS=$(metric_sum 'proxilion_redis_errors_total{')
ANALYZED=$(metric_sum 'proxilion_requests_total{')
KEYS=$(redis-cli -p "$REDIS_PORT" dbsize 2>/dev/null || echo "?")

python3 - "${NG[@]}" "${MEM[@]}" "${RED[@]}" "$RTT_COUNT" "$RTT_SUM" "$STORE_ERRORS" "$ANALYZED" "$KEYS" <<'PY'
import sys
a = sys.argv[1:]
ng, mem, red = [list(map(float, a[i:i + 6])) for i in (0, 6, 12)]
rtt_n, rtt_sum, errors, analyzed = map(float, a[18:22])
keys = a[22]
for name, r in (("nginx return 200", ng), ("gateway, memory", mem), ("gateway, redis", red)):
    cpu = f"{r[4]:6.2f} us CPU/req" + (f" + redis-server {r[5]:.2f} us" if r[5] > 0 else "")
    print(f"  {name:18s} {r[0]:10.0f} req/s   p50 {r[1]:7.3f} ms   p99 {r[2]:7.3f} ms   ({r[3]:.0f} requests)   {cpu}")
print(f"  redis store: {analyzed:.0f} calls analysed, {rtt_n:.0f} records timed "
      f"(mean round trip {1e3 * rtt_sum / max(rtt_n, 1):.3f} ms), {errors:.0f} store errors, {keys} keys in redis")
ok = errors == 0 and rtt_n >= analyzed * 0.99
print(f"  redis store / memory store: {red[0] / mem[0]:.3f} of the throughput")
print(f"  ratio gateway/nginx: memory {mem[0] / ng[0]:.3f}   redis {red[0] / ng[0]:.3f} (want >= 0.40)"
      + ("" if ok else "   ** the redis run did not go through redis cleanly **"))
sys.exit(0 if ok else 1)
PY
