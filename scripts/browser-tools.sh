#!/usr/bin/env bash
# What the web UI's browser tests drive, installed when missing (Debian/Ubuntu): Chromium and its WebDriver
# (Debian's `chromium`, `chromium-driver`), and Selenium's Python bindings (PyPI).
set -euo pipefail
install() {
    apt-get install -y "$@" >/dev/null 2>&1 || sudo apt-get install -y "$@" >/dev/null 2>&1 && return 0
    # A fresh machine may not have read its package lists yet.
    (apt-get update >/dev/null 2>&1 || sudo apt-get update >/dev/null) && (apt-get install -y "$@" >/dev/null 2>&1 || sudo apt-get install -y "$@" >/dev/null)
}
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    install chromium chromium-driver
fi
if ! python3 -c "import selenium" 2>/dev/null; then
    python3 -m pip install -q selenium 2>/dev/null || python3 -m pip install -q --break-system-packages selenium
fi
