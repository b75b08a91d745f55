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
# Callgrind runs when valgrind is installed (CALLGRIND=0 skips it).  The
# rule cache is keyed by instruction sets, not CPU model, so the runs under
# valgrind load the databases the wall-clock run above compiled or loaded.
if [ "${CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    # Every call of the corpora once (the bench skips lines that are
    # neither a command nor a path, so N may run a little past the end and
    # wrap around), or 2000 of the built-in sample.
    N=2000
    [ -n "$CORPUS" ] && N=$(cat "$CORPUS"/benign_tldr_dev.jsonl "$CORPUS"/malicious_art_dev.jsonl \
        "$CORPUS"/malicious_gtfobins_dev.jsonl 2>/dev/null | wc -l)
    ir() {
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" rules $CORPUS --calls "$1" 2>&1 |
            awk '/Collected/ {print $4}'
    }
    I0=$(ir 0)
    IN=$(ir $N)
    awk -v a="$I0" -v b="$IN" -v n="$N" 'BEGIN { printf "  callgrind: %.0f instructions per call (over %d calls)\n", (b - a) / n, n }'
fi
