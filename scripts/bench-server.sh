#!/usr/bin/env bash
# W2 and W3 of shared/bench/STANDARD.md against a release `keel serve` on 127.0.0.1, and beside them, in the same
# run, the store's own ceiling (store-load: batched appends to the same SQLite schema without the server).
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product keel
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product server-load
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product store-load
#   scripts/bench-server.sh [W2_SECONDS=60] [W3_EVENTS=10000000]       (W3_EVENTS=0 skips W3)
# Data goes under ${BENCH_DIR:-/tmp/keel-bench} (W3 at 10M events needs ~8 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
w3events=${2:-10000000}
bin=.build-bench/release
. scripts/lib/bench-tools.sh
need_tools keel server-load store-load
root=${BENCH_DIR:-/tmp/keel-bench}
rm -rf "$root"; mkdir -p "$root"
# Deleting a previous run's ~10 GB leaves the kernel writing back and freeing blocks for a while: let it finish
# before W2 is timed.
sync; sleep 5
port=18180
. scripts/lib/bench-serve.sh

echo "== W2: NDJSON ingest, 2 clients, 1,000-event bodies, ${seconds} s"
serve "$root/w2"
ingest=$(awk '/ingest token:/ {print $3}' "$root/w2.err")
"$bin/server-load" ingest "$url" "$ingest" "$seconds" 2 1000 | tee "$root/w2.txt"
rss=$(ps -o rss= -p "$pid")
stop
events=$(awk '/W2 ingest:/ {print $3}' "$root/w2.txt")
bytes=$(du -sb "$root/w2/events" | cut -f1)
echo "W2 server RSS at the end: $((rss / 1024)) MiB; store: $((bytes / 1048576)) MiB for $events events = $(awk "BEGIN {printf \"%.0f\", $bytes / $events}") MB per million events"

echo "== the store's ceiling: 1,000,000 W1 events appended in 1,000-event batches, no server"
"$bin/store-load" "$root/ceiling" 1000000 1 | grep -E "ingest|append"
rm -rf "$root/ceiling"

[ "$w3events" -gt 0 ] || exit 0
echo "== W3: ${w3events} W1 events over 24 h and 100 tenants (loaded with store-load), read through keel serve"
"$bin/store-load" "$root/w3" "$w3events" 100
admin=$("$bin/keel" token create --data "$root/w3" --tenant tenant-0 --role admin 2>/dev/null)
probe_ingest=$("$bin/keel" token create --data "$root/w3" --tenant tail-probe --role ingest 2>/dev/null)
probe_read=$("$bin/keel" token create --data "$root/w3" --tenant tail-probe --role read 2>/dev/null)
serve "$root/w3" --retention-days 36500
"$bin/server-load" read "$url" "$admin" "$root/w3/samples.txt" 2026-11-23T00:00:00Z 2026-11-24T00:00:00Z
"$bin/server-load" tail "$url" "$probe_ingest" "$probe_read" 200
stop
