#!/usr/bin/env bash
# `keel ship`'s throughput against the server's own ingest rate, in the same run (docs/benchmarks.md, "Shipping"):
# LINES W1-shaped JSON lines in one file, shipped with `keel ship FILE --once` (read, made canonical and redacted,
# spooled, sent, acknowledged) (1) to a receiver that only reads bodies and answers 204 (scripts/lib/null_receiver.py):
# the shipper's own rate; (2) to a release `keel serve` on 127.0.0.1, both on the same cores; then (3) the same server
# fed for SECONDS by server-load's two clients of 1,000-event bodies (W2). Prints the rates, CPU and peak RSS.
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product keel
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product server-load
#   scripts/bench-ship-files.sh [LINES=500000] [SECONDS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-500000}
seconds=${2:-10}
bin=.build-bench/release
. scripts/lib/bench-tools.sh
need_tools keel server-load
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
ship() {  # ship LABEL URL TOKEN
    rm -rf "$root/spool" "$root/positions.json"
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -f "%M %U %S" -o "$root/time" "$bin/keel" ship "$root/app.log" --to "$2" --token "$3" --once \
        --spool "$root/spool" --positions "$root/positions.json" 2>"$root/ship.err"
    end=$(date +%s.%N)
    python3 -c "import sys; l,s,e=int(sys.argv[2]),float(sys.argv[3]),float(sys.argv[4]); r,u,k=sys.argv[5].split(); print(f'keel ship {sys.argv[1]}: {l} lines in {e-s:.2f} s = {l/(e-s):,.0f} lines/s, CPU {float(u)+float(k):.2f} s, peak RSS {int(r)/1024:.0f} MiB')" \
        "$1" "$lines" "$start" "$end" "$(cat "$root/time")"
    tail -1 "$root/ship.err"
}
python3 scripts/lib/null_receiver.py $((port + 1)) &
receiver=$!
sleep 0.5
ship "to a null receiver" "http://127.0.0.1:$((port + 1))" none
kill -TERM $receiver; wait $receiver 2>/dev/null || true
token=$("$bin/keel" token create --data "$root/data" --tenant bench --role ingest 2>/dev/null)
serve "$root/data"
ship "to keel serve" "$url" "$token"
"$bin/server-load" ingest "$url" "$token" "$seconds" 2 1000 | sed 's/^/server ingest (W2, 2 clients): /'
stop
