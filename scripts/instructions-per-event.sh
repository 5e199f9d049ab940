#!/usr/bin/env bash
# Instructions per W1 log call for one handler, counted by callgrind (deterministic, unlike time on a shared
# machine): the difference between a 40,000- and a 20,000-event run, divided by 20,000, so warm-up cancels out.
#   scripts/instructions-per-event.sh keel|noop|stream|loop
set -euo pipefail
cd "$(dirname "$0")/.."
# valgrind cannot read the debug info swift-crypto's BoringSSL objects bring in; a stripped copy counts the same.
runner=$(mktemp /tmp/w1-runner-stripped.XXXXXX)
strip --strip-debug -o "$runner" .build-bench/release/w1-runner
trap 'rm -f "$runner"' EXIT
# Only the log calls are counted (`--toggle-collect` on `W1.log`): start-up, and threads that wake on a timer
# (the file sink's flusher), would otherwise add a few hundred instructions per event that depend on how long
# the run takes under valgrind.
# Swift seeds its hashing per process, so the metadata dictionary's layout — and the work of building and walking
# it — changes from run to run by a few hundred instructions; a fixed seed makes runs comparable.
export SWIFT_DETERMINISTIC_HASHING=1
count() {
    valgrind --tool=callgrind --toggle-collect='$s10W1Workload0A0O3logyy7Logging6LoggerV_SitFZ' \
        --callgrind-out-file=/tmp/keel-cg.%p "$runner" "$1" /dev/null "$2" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count "$1" 20000)
b=$(count "$1" 40000)
echo "$1: $(( (b - a) / 20000 )) instructions per event"
rm -f /tmp/keel-cg.*
