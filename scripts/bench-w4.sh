#!/usr/bin/env bash
# W4 of shared/bench/STANDARD.md: requests/s of a Hummingbird `GET /hello` service with Keel's request middleware
# and access log to a rotating file, against the same service with no logging, loaded by wrk (2 threads,
# 64 connections) on 127.0.0.1. The two are run alternately, ROUNDS times each, in one run.
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product w4-server
#   scripts/bench-w4.sh [SECONDS=30] [ROUNDS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
rounds=${2:-2}
server=.build-bench/release/w4-server
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
[ -x "$server" ] || { echo "build $server first (see the top of this script)" >&2; exit 2; }
port=18099
log=$(mktemp -d /tmp/keel-w4.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true; rm -rf "$log"' EXIT

run() {
    "$server" "$1" "$port" "$log/access.log" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null && break; sleep 0.1; done
    wrk -t2 -c64 -d5s "http://127.0.0.1:$port/hello" >/dev/null            # warm-up
    local rps
    rps=$(wrk -t2 -c64 -d"${seconds}s" "http://127.0.0.1:$port/hello" | awk '/Requests\/sec/ {print $2}')
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$rps"
}

# keel-quiet: the middleware's ids and context with the access event switched off by level.
declare -a off keel quiet
for round in $(seq 1 "$rounds"); do
    off+=("$(run off)")
    keel+=("$(run keel)")
    quiet+=("$(run keel-quiet)")
    echo "round $round: off ${off[-1]}, keel ${keel[-1]}, keel-quiet ${quiet[-1]} req/s"
done
python3 - "${off[*]}" "${keel[*]}" "${quiet[*]}" <<'PY'
import sys, statistics
off, keel, quiet = ([float(x) for x in arg.split()] for arg in sys.argv[1:4])
mo = statistics.median(off)
for name, runs in (("no logging", off), ("keel", keel), ("keel, no access event", quiet)):
    m = statistics.median(runs)
    print(f"{name:22} median {m:,.0f} req/s ({min(runs):,.0f}-{max(runs):,.0f})  {100 * m / mo:.1f} % of no logging")
print("target: keel >= 97 % of no logging")
PY
