#!/usr/bin/env bash
# `keel ship`'s throughput against the server's own ingest rate, in the same run (docs/benchmarks.md, "Shipping"):
# LINES W1-shaped JSON lines in one file, shipped with `keel ship FILE --once` (read, made canonical and redacted,
# spooled, sent, acknowledged) to a release `keel serve` on 127.0.0.1; then the same server fed for SECONDS by
# server-load's two clients of 1,000-event bodies (W2). Prints both rates and keel ship's peak RSS.
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product keel
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product server-load
#   scripts/bench-ship-files.sh [LINES=500000] [SECONDS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-500000}
seconds=${2:-10}
bin=.build-bench/release
for tool in keel server-load; do
    [ -x "$bin/$tool" ] || { echo "build $bin/$tool first (see the top of this script)" >&2; exit 2; }
done
root=${BENCH_DIR:-/tmp/keel-bench-ship-files}
rm -rf "$root"; mkdir -p "$root"
port=18190
. scripts/lib/bench-serve.sh
python3 - "$root/app.log" "$lines" <<'PY'
import json, sys, time
path, count = sys.argv[1], int(sys.argv[2])
now = time.time()
with open(path, "w") as f:
    for n in range(count):
        t = now - 3600 + n * 3600 / count
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int(t % 1 * 1e6)
        f.write(json.dumps({"timestamp": ts, "level": "INFO", "message": "request handled", "event": "log", "service": "api",
            "host": "web-1", "event_id": "ship-%07d" % n, "request_id": "req-%d" % n, "route": "/v1/chat/completions",
            "status": 200, "duration_ms": 12.5, "model": "gpt-4o-mini", "tokens_prompt": 512, "tokens_response": 128},
            separators=(",", ":")) + "\n")
PY
token=$("$bin/keel" token create --data "$root/data" --tenant bench --role ingest 2>/dev/null)
serve "$root/data"
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$root/rss" "$bin/keel" ship "$root/app.log" --to "$url" --token "$token" --once \
    --spool "$root/spool" --positions "$root/positions.json" 2>"$root/ship.err"
end=$(date +%s.%N)
python3 -c "import sys; l,s,e,r=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]); print(f'keel ship: {l} lines in {e-s:.2f} s = {l/(e-s):,.0f} lines/s, peak RSS {r/1024:.0f} MiB')" \
    "$lines" "$start" "$end" "$(cat "$root/rss")"
tail -1 "$root/ship.err"
"$bin/server-load" ingest "$url" "$token" "$seconds" 2 1000 | sed 's/^/server ingest (W2, 2 clients): /'
stop
