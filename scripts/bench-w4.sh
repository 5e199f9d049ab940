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
trap 'kill $pid 2>/dev/null || true; rm -rf "$log"' EXIT

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

declare -a off keel
for round in $(seq 1 "$rounds"); do
    off+=("$(run off)")
    keel+=("$(run keel)")
    echo "round $round: off ${off[-1]} req/s, keel ${keel[-1]} req/s ($(wc -l < "$log/access.log") lines in the access log)"
done
python3 - "${off[*]}" "${keel[*]}" <<'PY'
import sys, statistics
off = [float(x) for x in sys.argv[1].split()]
keel = [float(x) for x in sys.argv[2].split()]
mo, mk = statistics.median(off), statistics.median(keel)
print(f"no logging: median {mo:,.0f} req/s ({min(off):,.0f}-{max(off):,.0f})")
print(f"keel:       median {mk:,.0f} req/s ({min(keel):,.0f}-{max(keel):,.0f})")
print(f"keel / no logging: {100 * mk / mo:.1f} %  (target >= 97 %)")
PY
