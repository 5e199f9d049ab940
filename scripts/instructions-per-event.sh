#!/usr/bin/env bash
# Instructions per W1 event for one handler, counted by callgrind (deterministic, unlike time on a shared machine):
# the difference between a 40,000- and a 20,000-event run, divided by 20,000, so start-up cancels out.
#   scripts/instructions-per-event.sh keel|noop|stream|loop
set -euo pipefail
cd "$(dirname "$0")/.."
# valgrind cannot read the debug info swift-crypto's BoringSSL objects bring in; a stripped copy counts the same.
runner=$(mktemp /tmp/w1-runner-stripped.XXXXXX)
strip --strip-debug -o "$runner" .build-bench/release/w1-runner
trap 'rm -f "$runner"' EXIT
count() {
    valgrind --tool=callgrind --callgrind-out-file=/tmp/keel-cg.%p "$runner" "$1" /dev/null "$2" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count "$1" 20000)
b=$(count "$1" 40000)
echo "$1: $(( (b - a) / 20000 )) instructions per event"
rm -f /tmp/keel-cg.*
