#!/usr/bin/env bash
# W2 (shared/bench/STANDARD.md: NDJSON ingest, 2 clients, 1,000-event bodies) for two builds of `keel serve` in the
# same run, alternating A B A B … so that the machine's drift touches both alike; prints each round's events/s and
# the median ratio A/B (above 1: A ingests more). Both are loaded by B's `server-load` (the load generator shares the
# machine's cores, so a different generator would move the figure). Each directory holds release binaries:
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product keel   (and server-load)
#   scripts/bench-w2-ratio.sh NEW_BIN_DIR BASELINE_BIN_DIR [SECONDS=30] [ROUNDS=3]
# A_ARGS and B_ARGS are added to each side's `keel serve` (A_ARGS="--store blocks"). Each round also prints the
# server's CPU seconds per million events acknowledged (user + system, from /proc).
# Servers listen on 127.0.0.1 only and are stopped by their PID; data goes under ${BENCH_DIR:-/tmp/keel-w2-ratio}.
set -euo pipefail
a=$1; b=$2; seconds=${3:-30}; rounds=${4:-3}
root=${BENCH_DIR:-/tmp/keel-w2-ratio}
port=18181
url="http://127.0.0.1:$port"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT

# run BIN_DIR [SERVE_ARGS]: one W2 round; prints events/s acknowledged and server CPU seconds per million events.
run() {
    local bin=$1 data="$root/data"
    rm -rf "$data"; mkdir -p "$root"; sync
    # shellcheck disable=SC2086
    "$bin/keel" serve --data "$data" --listen "127.0.0.1:$port" ${2:-} >"$data.out" 2>"$data.err" &
    pid=$!
    for _ in $(seq 1 200); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.05; done
    local token
    token=$(awk '/ingest token:/ {print $3}' "$data.err")
    local before after
    before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    "$b/server-load" ingest "$url" "$token" "$seconds" 2 1000 >"$root/round.txt"
    after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    awk -v t0="$before" -v t1="$after" '/W2 ingest:/ {printf "%s %.2f\n", $10, (t1 - t0) / 100 * 1e6 / $3}' "$root/round.txt"
}

ratios=()
cpus=()
for round in $(seq 1 "$rounds"); do
    read -r ra ca <<<"$(run "$a" "${A_ARGS:-}")"
    read -r rb cb <<<"$(run "$b" "${B_ARGS:-}")"
    ratio=$(awk "BEGIN {printf \"%.3f\", $ra / $rb}")
    cpu=$(awk "BEGIN {printf \"%.3f\", $ca / $cb}")
    ratios+=("$ratio")
    cpus+=("$cpu")
    echo "round $round: A $ra events/s $ca CPU s/M, B $rb events/s $cb CPU s/M, A/B $ratio events/s, $cpu CPU"
done
median() { sort -n | awk -v what="$1" '{r[NR]=$1} END {print "median A/B " what ": " r[int((NR+1)/2)] " (min " r[1] ", max " r[NR] ")"}'; }
printf '%s\n' "${ratios[@]}" | median "events/s"
printf '%s\n' "${cpus[@]}" | median "CPU per event"
rm -rf "$root"
