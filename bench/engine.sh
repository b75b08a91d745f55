#!/usr/bin/env bash
# Engine cost per call: wall-clock percentiles, then callgrind instructions
# per call (the difference between N calls and 0 calls, divided by N, so
# start-up and rule compilation cancel out).
#   bench/engine.sh BENCH_BIN CORPUS_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$1
CORPUS=${2:-}
[ -d "$CORPUS" ] || CORPUS=""
"$BIN" rules $CORPUS
# Callgrind is opt-in (CALLGRIND=1): under valgrind Hyperscan sees another
# CPU, so the rule cache (keyed by CPU features) misses and the catalogue
# compiles under emulation, several minutes per run.
if [ "${CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    N=2000
    ir() {
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" rules $CORPUS --calls "$1" 2>&1 |
            awk '/Collected/ {print $4}'
    }
    I0=$(ir 0)
    IN=$(ir $N)
    awk -v a="$I0" -v b="$IN" -v n="$N" 'BEGIN { printf "  callgrind: %.0f instructions per call (over %d calls)\n", (b - a) / n, n }'
fi
