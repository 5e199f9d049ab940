#!/usr/bin/env bash
# W2 (shared/bench/STANDARD.md: NDJSON ingest, 2 clients, 1,000-event bodies) for two builds of `keel serve` in the
# same run, alternating A B A B … so that the machine's drift touches both alike; prints each round's events/s and
# the median ratio A/B (above 1: A ingests more). Both are loaded by B's `server-load` (the load generator shares the
# machine's cores, so a different generator would move the figure). Each directory holds release binaries:
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product keel   (and server-load)
#   scripts/bench-w2-ratio.sh NEW_BIN_DIR BASELINE_BIN_DIR [SECONDS=30] [ROUNDS=3]
# Servers listen on 127.0.0.1 only and are stopped by their PID; data goes under ${BENCH_DIR:-/tmp/keel-w2-ratio}.
set -euo pipefail
a=$1; b=$2; seconds=${3:-30}; rounds=${4:-3}
root=${BENCH_DIR:-/tmp/keel-w2-ratio}
port=18181
url="http://127.0.0.1:$port"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT

# run BIN_DIR: one W2 round; prints events/s acknowledged.
run() {
    local bin=$1 data="$root/data"
    rm -rf "$data"; mkdir -p "$root"; sync
    "$bin/keel" serve --data "$data" --listen "127.0.0.1:$port" >"$data.out" 2>"$data.err" &
    pid=$!
    for _ in $(seq 1 200); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.05; done
    local token
    token=$(awk '/ingest token:/ {print $3}' "$data.err")
    "$b/server-load" ingest "$url" "$token" "$seconds" 2 1000 >"$root/round.txt"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    awk '/W2 ingest:/ {print $10}' "$root/round.txt"
}

ratios=()
for round in $(seq 1 "$rounds"); do
    ra=$(run "$a"); rb=$(run "$b")
    ratio=$(awk "BEGIN {printf \"%.3f\", $ra / $rb}")
    ratios+=("$ratio")
    echo "round $round: A $ra events/s, B $rb events/s, A/B $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{r[NR]=$1} END {print "median A/B: " r[int((NR+1)/2)] " (min " r[1] ", max " r[NR] ")"}'
rm -rf "$root"
