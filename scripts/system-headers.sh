#!/usr/bin/env bash
# The system headers Keel builds against, installed when missing (Debian/Ubuntu): zlib's (rotated files are
# gzip-compressed, gzip bodies inflated, block checksums), SQLite's (the embedded store, through GRDB) and zstd's
# (the block store's columns), ISA-L's (the block store's checksums), snappy's (Loki's push bodies) and jemalloc's (the
# `keel` command's allocator).
set -euo pipefail
install() {
    apt-get install -y "$1" >/dev/null 2>&1 || sudo apt-get install -y "$1" >/dev/null 2>&1 && return 0
    # A fresh machine may not have read its package lists yet.
    (apt-get update >/dev/null 2>&1 || sudo apt-get update >/dev/null) && (apt-get install -y "$1" >/dev/null 2>&1 || sudo apt-get install -y "$1" >/dev/null)
}
for header in zlib.h:zlib1g-dev sqlite3.h:libsqlite3-dev zstd.h:libzstd-dev isa-l/crc.h:libisal-dev snappy-c.h:libsnappy-dev jemalloc/jemalloc.h:libjemalloc-dev; do
    if [ ! -f "/usr/include/${header%%:*}" ] && command -v apt-get >/dev/null; then
        install "${header##*:}"
    fi
done
