#!/usr/bin/env bash
# Builds a release `keel` from an earlier commit, in a worktree beside this checkout, for benchmarks that measure
# against the code as it was (issue 17's "today's SQLite store": the commit before store v2's first piece).
#   scripts/build-baseline.sh [REV=6c9e15b^] [DIR=../keel-baseline]
# Prints the binary's path. Remove the worktree with `git worktree remove DIR` when done.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-6c9e15b^}
dir=${2:-../keel-baseline}
[ -d "$dir" ] || git worktree add --detach "$dir" "$rev" >&2
(cd "$dir" && swift build -c release --product keel --scratch-path .build-baseline >&2)
echo "$(cd "$dir" && pwd)/.build-baseline/release/keel"
