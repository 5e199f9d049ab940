#!/usr/bin/env bash
# Shipping's cost and delivery (docs/benchmarks.md, "Shipping"): W1-async in paced bursts (a queue not under
# pressure) into a rotating file alone, then into the same file and a ShippingSink to a release `keel serve` on
# 127.0.0.1 (through its disk spool), alternated RUNS times in the same run. Prints each run's caller time per event
# and, with shipping, the delivery latency from the sink's write to the server's acknowledgement.
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product keel
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product ship-load
#   scripts/bench-ship.sh [EVENTS=200000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-200000}
runs=${2:-3}
bin=.build-bench/release
. scripts/lib/bench-tools.sh
need_tools keel ship-load
root=${BENCH_DIR:-/tmp/keel-bench-ship}
rm -rf "$root"; mkdir -p "$root"
port=18185
. scripts/lib/bench-serve.sh
token=$("$bin/keel" token create --data "$root/data" --tenant bench --role ingest 2>/dev/null)
serve "$root/data"
for run in $(seq 1 "$runs"); do
    rm -rf "$root/out" "$root/spool"; mkdir -p "$root/out"
    "$bin/ship-load" file "$root/out/file.log" "$events"
    rm -rf "$root/out"; mkdir -p "$root/out"
    "$bin/ship-load" ship "$root/out/ship.log" "$events" "$url" "$token" "$root/spool"
done
stop
