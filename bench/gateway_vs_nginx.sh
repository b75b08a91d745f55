#!/usr/bin/env bash
# /analyze throughput against nginx `return 200`, measured in the same run
# with the same load generator (wrk, one thread, 50 connections), one worker
# each.  Runs PX_BENCH_ROUNDS (default 3) alternating rounds of DURATION_S
# seconds each (nginx, the gateway's GET /health, the gateway's /analyze)
# and prints every round and the median round: requests/s, latency, the
# serving process's CPU time per request, and the ratio.  Loopback only,
# bounded (3 x ROUNDS x DURATION_S + 2 s of load).
#
#   bench/gateway_vs_nginx.sh [DURATION_S] [EXTRA GATEWAY ENV...]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
DUR=${1:-10}
shift || true
GW=${PX_GATEWAY_BIN:-build/proxilion-gateway}
TMP=$(mktemp -d /tmp/px-bench.XXXXXX)
NGINX_PID=""
GW_PID=""
cleanup() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
    [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

wait_up() {   # url what
    for _ in $(seq 300); do
        curl -fs "$1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "bench-gateway: $2 did not answer on $1 within 30 s" >&2
    exit 1
}

NGINX_PORT=$(px_free_port)
px_nginx_conf "$TMP" "$NGINX_PORT" '{"decision":"Allow"}'
nginx -p "$TMP" -c "$TMP/nginx.conf" 2>/dev/null &
NGINX_PID=$!
GW_PORT=$(px_free_port)
env LISTEN_ADDR=127.0.0.1:$GW_PORT WORKER_THREADS=1 LOG_LEVEL=warn "$@" "$GW" &
GW_PID=$!
wait_up "http://127.0.0.1:$NGINX_PORT/" nginx
# The gateway compiles the rules on its first start (about 12 s on two cores).
wait_up "http://127.0.0.1:$GW_PORT/health" "the gateway"

HZ=$(getconf CLK_TCK)
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)

# run_wrk URL PID [wrk script args] -> "rps p50_ms p99_ms cpu_us_per_request"
# The last figure is the CPU time (user + system) the serving process spent
# per request: unlike req/s it does not depend on how the two cores were
# shared during the run.
run_wrk() {
    local url=$1 pid=$2 t0 t1
    shift 2
    t0=$(px_cpu_ticks "$pid")
    wrk -t1 -c50 -d"${DUR}s" --latency "$@" "$url" 2>/dev/null > "$TMP/wrk.out"
    t1=$(px_cpu_ticks "$pid")
    awk -v ticks=$((t1 - t0)) -v hz="$HZ" '
             /requests in/ {n=$1} /Requests\/sec/ {rps=$2}
             /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
             function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
             END {printf "%s %.3f %.3f %.2f\n", rps, ms(p50), ms(p99), (n > 0 ? ticks / hz * 1e6 / n : 0)}' "$TMP/wrk.out"
}
MIX=(-s bench/stress_mix.lua)
# Warm up, then measure in ROUNDS alternating rounds: on a shared VM the
# speed of the box drifts by tens of percent within a minute, and
# alternating lets all runs see the same drift.  Each round's ratio pairs
# runs taken seconds apart; the median of the rounds is the result.  Each
# round also times the gateway's GET /health: the same HTTP stack with no
# analysis, to tell the cost of serving HTTP from the cost of analysing.
wrk -t1 -c50 -d1s "${MIX[@]}" "http://127.0.0.1:$NGINX_PORT/analyze" >/dev/null 2>&1
wrk -t1 -c50 -d1s "${MIX[@]}" "http://127.0.0.1:$GW_PORT/analyze" >/dev/null 2>&1
ROUNDS=${PX_BENCH_ROUNDS:-3}
: > "$TMP/rounds"
for r in $(seq "$ROUNDS"); do
    read -r N_RPS N_P50 N_P99 N_CPU < <(run_wrk "http://127.0.0.1:$NGINX_PORT/analyze" "$NGINX_WORKER" "${MIX[@]}")
    read -r H_RPS _ _ H_CPU < <(run_wrk "http://127.0.0.1:$GW_PORT/health" "$GW_PID")
    read -r G_RPS G_P50 G_P99 G_CPU < <(run_wrk "http://127.0.0.1:$GW_PORT/analyze" "$GW_PID" "${MIX[@]}")
    echo "$N_RPS $N_P50 $N_P99 $G_RPS $G_P50 $G_P99 $N_CPU $G_CPU $H_RPS $H_CPU" >> "$TMP/rounds"
done
LABEL=${PX_BENCH_LABEL:-memory sessions}
printf 'bench-gateway (%s): wrk -t1 -c50 -d%ss, stress mix, one worker each, %s alternating rounds\n' \
    "$LABEL" "$DUR" "$ROUNDS"
awk '{ printf "  round %d: nginx %6.0f req/s (%5.2f us CPU/req), proxilion /health %6.0f (%5.2f us), /analyze %6.0f (%5.2f us), ratio %.2f\n", NR, $1, $7, $9, $10, $4, $8, $4 / $1 }' "$TMP/rounds"
# Median row by ratio (the middle round; the lower middle for an even count).
sort -n -k1,1 <(awk '{ printf "%.6f %s\n", $4 / $1, $0 }' "$TMP/rounds") |
    awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) {
        printf "  median round:\n"
        printf "  nginx return 200   %10.0f req/s  p50 %.3f ms  p99 %.3f ms  %6.2f us CPU per request\n", $2, $3, $4, $8
        printf "  proxilion /health  %10.0f req/s                               %6.2f us CPU per request\n", $10, $11
        printf "  proxilion /analyze %10.0f req/s  p50 %.3f ms  p99 %.3f ms  %6.2f us CPU per request\n", $5, $6, $7, $9
        printf "  ratio gateway/nginx: %.2f (by CPU per request: %.2f)\n", $1, $8 / $9 }'
