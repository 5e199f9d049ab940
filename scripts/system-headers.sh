#!/usr/bin/env bash
# The two system headers Keel builds against, installed when missing (Debian/Ubuntu): zlib's (rotated files are
# gzip-compressed, gzip bodies inflated, with the system zlib) and SQLite's (the embedded store, through GRDB).
set -euo pipefail
for header in zlib.h:zlib1g-dev sqlite3.h:libsqlite3-dev; do
    if [ ! -f "/usr/include/${header%%:*}" ] && command -v apt-get >/dev/null; then
        apt-get install -y "${header##*:}" >/dev/null 2>&1 || sudo apt-get install -y "${header##*:}" >/dev/null
    fi
done
