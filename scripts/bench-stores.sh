#!/usr/bin/env bash
# The block store against the SQLite store in the same run (docs/benchmarks.md, "Store v2"): W2 through a release
# `keel serve` on each store (acknowledged events/s, server CPU seconds per million events, peak RSS, disk per
# event), tail delivery on the block store, then `store-compare` on each store (append, disk after merging, peak
# RSS, lookups cold and warm, substring searches, count_over_time).
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product keel
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product server-load
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product store-compare
#   scripts/bench-stores.sh [W2_SECONDS=30] [EVENTS=1000000] [TENANTS=10]    (EVENTS=0: W2 only)
# KEEL_BASELINE=PATH also runs W2 first on that `keel` binary's own (SQLite) store: issue 17 measures against the
# store as it was when the issue was filed, built by scripts/build-baseline.sh.
# Data goes under ${BENCH_DIR:-/tmp/keel-bench-stores}.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
events=${2:-1000000}
tenants=${3:-10}
bin=.build-bench/release
. scripts/lib/bench-tools.sh
need_tools keel server-load store-compare
root=${BENCH_DIR:-/tmp/keel-bench-stores}
rm -rf "$root"; mkdir -p "$root"
sync; sleep 2
port=18181
. scripts/lib/bench-serve.sh
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$pid/stat"; }  # utime + stime, seconds (USER_HZ 100)

w2stores="sqlite blocks"
[ -n "${KEEL_BASELINE:-}" ] && w2stores="baseline $w2stores"
for store in $w2stores; do
    keel=""; args=(--store "$store")
    [ "$store" = baseline ] && { keel=$KEEL_BASELINE; args=(); }
    echo "== W2 on --store $store: NDJSON ingest, 2 clients, 1,000-event bodies, ${seconds} s"
    serve "$root/w2-$store" "${args[@]}"
    ingest=$(awk '/ingest token:/ {print $3}' "$root/w2-$store.err")
    before=$(cpu)
    "$bin/server-load" ingest "$url" "$ingest" "$seconds" 2 1000 | tee "$root/w2-$store.txt"
    after=$(cpu)
    peak=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
    stop; keel=""
    acked=$(awk '/W2 ingest:/ {print $3}' "$root/w2-$store.txt")
    bytes=$(du -sb --exclude=tokens.json --exclude='*.lock' "$root/w2-$store" | cut -f1)
    awk -v s="$store" -v c0="$before" -v c1="$after" -v n="$acked" -v b="$bytes" -v p="$peak" 'BEGIN {
        printf "W2 %s: server CPU %.1f s per million events; peak RSS %d MiB; %.0f bytes an event on disk (after a clean stop)\n", s, (c1 - c0) * 1e6 / n, p, b / n }'
done

[ "$events" -gt 0 ] || exit 0

echo "== tail delivery on the block store"
serve "$root/tail"
probe_ingest=$(awk '/ingest token:/ {print $3}' "$root/tail.err")
probe_read=$("$bin/keel" token create --data "$root/tail" --tenant default --role read 2>/dev/null)
"$bin/server-load" tail "$url" "$probe_ingest" "$probe_read" 200
stop

for store in sqlite blocks; do
    echo "== store-compare $store, $events events, $tenants tenants"
    "$bin/store-compare" "$store" "$root/compare-$store" "$events" "$tenants"
done
