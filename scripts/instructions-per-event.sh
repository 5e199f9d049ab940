#!/usr/bin/env bash
# Instructions per W1 event for one handler, counted by callgrind (deterministic, unlike time on a shared machine):
# the difference between a 40,000- and a 20,000-event run, divided by 20,000, so start-up cancels out.
#   scripts/instructions-per-event.sh keel|noop|stream|loop
set -euo pipefail
cd "$(dirname "$0")/.."
runner=.build-bench/release/w1-runner
count() {
    valgrind --tool=callgrind --callgrind-out-file=/tmp/keel-cg.%p "$runner" "$1" /dev/null "$2" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count "$1" 20000)
b=$(count "$1" 40000)
echo "$1: $(( (b - a) / 20000 )) instructions per event"
rm -f /tmp/keel-cg.*
