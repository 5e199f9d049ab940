#!/usr/bin/env python3
"""The web UI end to end, in a real browser: headless Chromium, driven through Selenium, against a real `keel serve`
on 127.0.0.1 loaded with known events. Screenshots of each step go to --screenshots (not committed).

    python3 Tests/Browser/ui_test.py --binary .build/debug/keel [--screenshots DIR]

Prints one line a check and ends with "N passed, N failed" (exit status 1 when any failed). scripts/browser-tools.sh
installs what it drives.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as conditions
from selenium.webdriver.support.ui import WebDriverWait

# A message a careless page would run or colour: it must show as these characters.
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>\u001b[31mred\u001b[0m'


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def keel(binary, *arguments):
    return subprocess.run([binary, *arguments], check=True, capture_output=True, text=True).stdout.strip()


def line(event_id, message, level="INFO", service="checkout"):
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%06dZ" % int((now % 1) * 1_000_000)
    return json.dumps({"timestamp": stamp, "level": level, "message": message, "service": service, "event_id": event_id})


def ingest(url, token, lines):
    request = urllib.request.Request(
        url + "/v1/events", data=("\n".join(lines) + "\n").encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, response.status


class Run:
    def __init__(self, screenshots):
        self.passed = 0
        self.failed = 0
        self.screenshots = screenshots

    def check(self, name, ok, detail=""):
        print(("ok    " if ok else "FAIL  ") + name + ("" if ok else "  " + detail), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def shot(self, driver, name):
        driver.save_screenshot(os.path.join(self.screenshots, name + ".png"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--screenshots", default=os.path.join(".build", "ui-screenshots"))
    arguments = parser.parse_args()
    os.makedirs(arguments.screenshots, exist_ok=True)
    run = Run(arguments.screenshots)
    data = tempfile.mkdtemp(prefix="keel-ui-")
    binary = os.path.abspath(arguments.binary)
    tokens = {
        (tenant, role): keel(binary, "token", "create", "--data", data, "--tenant", tenant, "--role", role)
        for tenant, role in [("tenant-a", "read"), ("tenant-a", "ingest"), ("tenant-b", "ingest")]
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [binary, "serve", "--data", data, "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = None
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        ingest(url, tokens[("tenant-a", "ingest")], [
            line("ui-1", "order placed", service="checkout"),
            line("ui-2", "payment declined", level="ERROR", service="payments"),
            line("ui-3", HOSTILE, level="WARN", service="checkout"),
        ])
        ingest(url, tokens[("tenant-b", "ingest")], [line("ui-canary", "tenant-b canary zebra")])

        options = webdriver.ChromeOptions()
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"]:
            options.add_argument(flag)
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, 10)
        visible = lambda id: wait.until(conditions.visibility_of_element_located((By.ID, id)))

        # Sign in: a wrong token is refused with the server's reason; a read token gets in.
        driver.get(url + "/")
        visible("sign-in")
        run.shot(driver, "1-sign-in")
        run.check("signed out, only the sign-in form shows", not driver.find_element(By.ID, "search").is_displayed())
        driver.find_element(By.ID, "token").send_keys("keel_not_a_token", Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "sign-in-error").text != "")
        run.check("a wrong token is refused, saying why", "unknown token" in driver.find_element(By.ID, "sign-in-error").text,
                  driver.find_element(By.ID, "sign-in-error").text)
        token_field = driver.find_element(By.ID, "token")
        token_field.clear()
        token_field.send_keys(tokens[("tenant-a", "read")], Keys.ENTER)
        visible("search")
        run.check("a read token signs in", "tenant-a" in driver.find_element(By.ID, "who").text, driver.find_element(By.ID, "who").text)
        run.check("signed in, the sign-in form is gone", not driver.find_element(By.ID, "sign-in").is_displayed())
        cookie = driver.get_cookie("keel_session") or {}
        run.check("the session cookie is HttpOnly and SameSite=Strict", cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict", str(cookie))
        stored = driver.execute_script("return JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie")
        run.check("the page keeps no token and cannot read its cookie", tokens[("tenant-a", "read")] not in stored and "keel_session" not in stored, stored)

        # Search: every event of the tenant, newest first; the hostile message is text.
        query = driver.find_element(By.ID, "query")
        query.clear()
        query.send_keys('{service=~".+"}', Keys.ENTER)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 3)
        rows = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "#results li")]
        run.shot(driver, "2-search")
        run.check("the search shows the tenant's three events", len(rows) == 3, str(rows))
        run.check("another tenant's canary never appears", not any("zebra" in row for row in rows), str(rows))
        run.check("a hostile message shows as its characters",
                  any("<script>window.pwned=2</script>" in row for row in rows), str(rows))
        run.check("and runs nothing", driver.execute_script("return window.pwned === undefined") and
                  not driver.find_elements(By.CSS_SELECTOR, "#results img, #results script"))
        run.check("the query is in the address", "q=" in driver.current_url, driver.current_url)

        # Keyboard: / focuses the query, Enter on a row shows the whole event.
        driver.find_element(By.TAG_NAME, "body").click()
        driver.find_element(By.TAG_NAME, "body").send_keys("/")
        run.check("/ focuses the query bar", driver.switch_to.active_element == driver.find_element(By.ID, "query"))
        first = driver.find_elements(By.CSS_SELECTOR, "#results li")[0]
        driver.execute_script("arguments[0].focus()", first)
        first.send_keys(Keys.ENTER)
        details = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results li pre"))
        run.shot(driver, "3-expanded")
        run.check("Enter shows the whole event as JSON", '"event_id"' in details[0].text, details[0].text[:200])

        # A narrower query, then Back restores the first.
        query = driver.find_element(By.ID, "query")
        query.clear()
        query.send_keys('{service="payments"}', Keys.ENTER)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 1)
        driver.back()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 3)
        run.check("Back restores the previous search", driver.find_element(By.ID, "query").get_attribute("value") == '{service=~".+"}')

        # A syntax error is shown, not swallowed.
        query = driver.find_element(By.ID, "query")
        query.clear()
        query.send_keys('{service="payments"', Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "query-error").text != "")
        run.check("a query that does not parse says why", driver.find_element(By.ID, "query-error").text != "")

        # The policy held: the browser reported no violation.
        try:
            problems = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
        except Exception:  # a driver without logs: nothing to read
            problems = []
        run.check("no Content-Security-Policy violation", not problems, str(problems))

        # Sign out: the page returns to sign-in, and the old cookie reads nothing.
        old = driver.get_cookie("keel_session")
        driver.find_element(By.ID, "sign-out").click()
        visible("sign-in")
        run.shot(driver, "4-signed-out")
        run.check("signed out, the search is gone", not driver.find_element(By.ID, "search").is_displayed())
        request = urllib.request.Request(url + "/v1/events", headers={"Cookie": "keel_session=" + (old or {}).get("value", "")})
        try:
            urllib.request.urlopen(request, timeout=5)
            status = 200
        except urllib.error.HTTPError as error:
            status = error.code
        run.check("after sign-out the session reads nothing", status == 401, str(status))
    except Exception as error:  # a step that could not run is a failure, with what it was
        run.check("the browser run", False, repr(error))
        if driver:
            run.shot(driver, "failure")
    finally:
        if driver:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)
    print(f"{run.passed} passed, {run.failed} failed")
    sys.exit(1 if run.failed else 0)


if __name__ == "__main__":
    main()
