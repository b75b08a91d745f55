#!/usr/bin/env bash
# bench-load: proxilion-load against wrk, same nginx `return 200`, same run.
#
# One nginx worker on a loopback port; wrk -t1 -c50 -d10s --latency, then
# proxilion-load with 50 VUs, no sleep, checks on (status, JSON body, time),
# one worker thread -- the same thread and connection count as wrk, so the
# comparison is tool against tool, not core count against core count.  Both
# POST the same JSON body.  Prints throughput and p50/p99 ratios (ours / wrk).
# The two tools alternate for ROUNDS rounds and the medians are compared, so a
# burst of unrelated load on the machine hits both rather than deciding the
# result.  Bounded: 3 rounds x 2 tools x 8 s = 48 s of load, under 60 s.
#
# usage: bench/load_vs_wrk.sh [path/to/proxilion-load] [seconds per run] [rounds]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LOAD_BIN=${1:-build/proxilion-load}
SECS=${2:-8}
ROUNDS=${3:-3}
command -v nginx >/dev/null || { echo "bench-load: nginx not installed (make deps)"; exit 1; }
command -v wrk >/dev/null || { echo "bench-load: wrk not installed (make deps)"; exit 1; }
[ -x "$LOAD_BIN" ] || { echo "bench-load: $LOAD_BIN not built"; exit 1; }
NGINX=$(command -v nginx)

TMP=$(mktemp -d)
NGINX_PID=""
cleanup() {
    if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(px_free_port)
px_nginx_conf "$TMP" "$PORT" '{"decision":"Allow","threat_score":0.0}'
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
done

BODY='{"tool_call":{"Bash":{"command":"ls -la /home/user/projects","args":[],"env":{}}},"user_id":"bench","session_id":"bench"}'
cat > "$TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
LUA
cat > "$TMP/scenario.json" <<JSON
{
  "name": "bench",
  "executor": "constant-vus", "vus": 50, "duration": "${SECS}s", "sleep": 0,
  "request": {"method": "POST", "path": "/analyze", "headers": {"Content-Type": "application/json"}},
  "payloads": [{"weight": 1, "body": $BODY}],
  "checks": {
    "status is 200": {"status_in": [200]},
    "has decision": {"json_has": "decision"},
    "response time < 500ms": {"max_duration_ms": 500}
  }
}
JSON

# wrk prints "50%  123.00us" style lines; convert to ms.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000} else print v}'; }

echo "bench-load: nginx return 200 on 127.0.0.1:$PORT; 50 connections, 1 thread, ${SECS}s per run, $ROUNDS alternating rounds"
: > "$TMP/results.txt"
for round in $(seq "$ROUNDS"); do
    wrk -t1 -c50 -d"${SECS}s" --latency -s "$TMP/post.lua" "http://127.0.0.1:$PORT/analyze" > "$TMP/wrk.txt"
    WRK_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.txt")
    WRK_P50=$(awk '$1=="50%" {print $2}' "$TMP/wrk.txt" | to_ms)
    WRK_P99=$(awk '$1=="99%" {print $2}' "$TMP/wrk.txt" | to_ms)
    "$LOAD_BIN" run -q --no-color -t 1 -e TARGET_URL="http://127.0.0.1:$PORT" \
        --summary-export "$TMP/summary.json" "$TMP/scenario.json" > "$TMP/load.txt"
    PL_RPS=$(jq '.metrics.http_reqs.values.rate' "$TMP/summary.json")
    PL_P50=$(jq '.metrics.http_req_duration.values.med' "$TMP/summary.json")
    PL_P99=$(jq '.metrics.http_req_duration.values["p(99)"]' "$TMP/summary.json")
    PL_CHECKS=$(jq '.metrics.checks.values.rate' "$TMP/summary.json")
    echo "$round $WRK_RPS $WRK_P50 $WRK_P99 $PL_RPS $PL_P50 $PL_P99 $PL_CHECKS" >> "$TMP/results.txt"
done

python3 - "$TMP/results.txt" <<'PY'
import statistics, sys
rows = [list(map(float, l.split()[1:])) for l in open(sys.argv[1]) if l.strip()]
for r in rows:
    print(f"  round: wrk {r[0]:8.0f} req/s p50 {r[1]:.3f} p99 {r[2]:.3f} | proxilion-load {r[3]:8.0f} req/s p50 {r[4]:.3f} p99 {r[5]:.3f} ms")
med = [statistics.median(c) for c in zip(*rows)]
wr, w50, w99, pr, p50, p99, checks = med
print(f"  wrk (median)             {wr:10.0f} req/s   p50 {w50:7.3f} ms   p99 {w99:7.3f} ms")
print(f"  proxilion-load (median)  {pr:10.0f} req/s   p50 {p50:7.3f} ms   p99 {p99:7.3f} ms   checks {checks*100:.2f}%")
print(f"  ratio (ours/wrk): throughput {pr/wr:.3f} (want >= 0.90)   p50 {p50/w50:.3f}   p99 {p99/w99:.3f} (want 0.90..1.10)")
PY
