#!/usr/bin/env python3
"""The web UI's weight and its time to first results on a large store (docs/benchmarks.md, "Web UI").

    KEEL_COMPARE_REUSE=1 .build-bench/release/store-compare blocks DIR 10000000 100   # W3's shape: 10M events, 24 h, 100 tenants
    python3 scripts/bench-ui.py --binary .build-bench/release/keel --data DIR [--rounds 5]

Starts `keel serve` (release) on DIR on 127.0.0.1, signs in headless Chromium with a read token of tenant-0, and opens
a search of tenant-0's day (2026-11-23, where store-compare puts its events) ROUNDS times: the first with every
cache cold in the browser, the rest warm. Prints, per round, the milliseconds from asking for the page to the first
result row, to the histogram, and to the facets; and the bytes the page, its script and its style sheet took on the
wire (gzip). The server is stopped by its PID; tokens made for the run are revoked.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

DAY_FROM = 1_795_392_000_000  # 2026-11-23T00:00:00Z, in ms
DAY_TO = DAY_FROM + 86_400_000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    binary = os.path.abspath(arguments.binary)
    created = subprocess.run(
        [binary, "token", "create", "--data", arguments.data, "--tenant", "tenant-0", "--role", "read", "--expires", "1h"],
        check=True, capture_output=True, text=True)
    token = created.stdout.strip()
    token_id = next(word for word in created.stderr.split() if word.startswith("tok_"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([binary, "serve", "--data", arguments.data, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = None
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        options = webdriver.ChromeOptions()
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"]:
            options.add_argument(flag)
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, 60)
        driver.get(url + "/")
        wait.until(conditions.visibility_of_element_located((By.ID, "token"))).send_keys(token, Keys.ENTER)
        wait.until(conditions.visibility_of_element_located((By.ID, "search")))
        search = url + "/?" + urllib.parse.urlencode({"q": '{service="api"}', "from": DAY_FROM, "to": DAY_TO})
        rounds = []
        for round_number in range(arguments.rounds):
            if round_number == 0:
                driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            started = time.monotonic()
            driver.get(search)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results li"))
            first = (time.monotonic() - started) * 1000
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#histogram svg rect[class^='level-']"))
            histogram = (time.monotonic() - started) * 1000
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#facets li"))
            facets = (time.monotonic() - started) * 1000
            rounds.append((first, histogram, facets))
            weight = driver.execute_script(
                "const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')"
                ".filter(e => e.name.includes('/ui/assets/'))];"
                "return entries.map(e => [e.name.split('/').pop().split('?')[0] || 'page', e.transferSize, e.encodedBodySize, e.decodedBodySize]);")
            print(f"round {round_number + 1}{' (cold)' if round_number == 0 else ''}: first results {first:.0f} ms, "
                  f"histogram {histogram:.0f} ms, facets {facets:.0f} ms", flush=True)
            if round_number == 0:
                for name, transferred, encoded, decoded in weight:
                    print(f"  {name or 'page'}: {encoded} bytes on the wire ({decoded} decoded)")
        warm = rounds[1:] or rounds
        print("warm median: first results %.0f ms, histogram %.0f ms, facets %.0f ms" % tuple(
            statistics.median(r[i] for r in warm) for i in range(3)))
    finally:
        if driver:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        subprocess.run([binary, "token", "revoke", "--data", arguments.data, token_id], capture_output=True)


if __name__ == "__main__":
    main()
