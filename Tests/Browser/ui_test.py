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
import urllib.parse
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


def line(event_id, message, level="INFO", service="checkout", ago=0.0, **fields):
    now = time.time() - ago
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%06dZ" % int((now % 1) * 1_000_000)
    return json.dumps({"timestamp": stamp, "level": level, "message": message, "service": service, "event_id": event_id, **fields})


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
        for tenant, role in [("tenant-a", "read"), ("tenant-a", "ingest"), ("tenant-b", "ingest"), ("tenant-a", "admin")]
    }
    # One alerting rule for tenant-a, evaluated every second: a service with more than two errors in the hour.
    rules = tempfile.mkdtemp(prefix="keel-ui-rules-")
    with open(os.path.join(rules, "tenant-a.yaml"), "w") as file:
        file.write("""groups:
  - name: errors
    interval: 1s
    rules:
      - alert: ErrorBurst
        expr: sum by (service) (count_over_time({level="ERROR"}[1h])) > 2
        labels: {severity: page}
        annotations: {summary: "{{ $labels.service }} logged {{ $value }} errors in the hour"}
""")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [binary, "serve", "--data", data, "--listen", f"127.0.0.1:{port}", "--rules", rules],
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
            line("ui-1", "order placed", service="checkout", ago=3),
            line("ui-2", "payment declined", level="ERROR", service="payments", ago=2),
            line("ui-3", HOSTILE, level="WARN", service="checkout", ago=1),
            # One request's story, across two services.
            line("story-1", "request received", service="gateway", ago=20.0, request_id="req-story"),
            line("story-2", "ledger write failed", level="ERROR", service="ledger", ago=19.9, request_id="req-story",
                 error_code="ledger_timeout", duration_ms=80.0),
            line("story-3", "request answered", service="gateway", ago=19.8, request_id="req-story", duration_ms=200.0),
        ] + [line(f"bulk-{n}", f"bulk event {n}", service="bulk", ago=600 + n) for n in range(150)]
          # What the health page reads: requests by route, errors with codes, worker restarts, model usage.
          + [line(f"http-{n}", "request handled", service="api", ago=30 + n, event="http.request", route="/v1/chat" if n % 2 else "/v1/models",
                  method="GET", status=200, duration_ms=float(10 * (n + 1))) for n in range(10)]
          + [line(f"err-{n}", "upstream failed", level="ERROR", service="api", ago=40 + n, error_code="upstream_timeout" if n < 2 else "bad_gateway")
             for n in range(3)]
          + [line(f"restart-{n}", "restarting", service="api", ago=50 + n, event="worker.restarting", worker_id="w-1", restart_count=n + 1,
                  worker_state="restarting", backoff_ms=100) for n in range(2)]
          + [line(f"usage-{n}", "model call", service="api", ago=60 + n, event="usage.recorded", storage_class="cost", provider="openai",
                  model="gpt-4o-mini", tokens_prompt=500, tokens_response=100, cost_usd=0.25) for n in range(4)])
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
        run.check("a read token cannot switch tenant", not driver.find_element(By.ID, "tenant-form").is_displayed())
        cookie = driver.get_cookie("keel_session") or {}
        run.check("the session cookie is HttpOnly and SameSite=Strict", cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict", str(cookie))
        stored = driver.execute_script("return JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie")
        run.check("the page keeps no token and cannot read its cookie", tokens[("tenant-a", "read")] not in stored and "keel_session" not in stored, stored)

        # Search: every event of the tenant, newest first; the hostile message is text.
        query = driver.find_element(By.ID, "query")
        query.clear()
        query.send_keys('{service=~"checkout|payments"}', Keys.ENTER)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 3)
        rows = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "#results li")]
        run.shot(driver, "2-search")
        run.check("the search shows the query's three events, newest first",
                  len(rows) == 3 and "<script>" in rows[0] and "order placed" in rows[2], str(rows))
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
        # Completions: the names a query can use, for the word being typed; Tab takes the one marked.
        query = driver.find_element(By.ID, "query")
        query.send_keys(Keys.END)
        query.send_keys(" | serv")
        suggestions = wait.until(lambda d: [li.text for li in d.find_elements(By.CSS_SELECTOR, "#suggestions li")] or None)
        run.check("the query bar offers the names that fit", "service" in suggestions, str(suggestions))
        query.send_keys(Keys.TAB)
        run.check("Tab takes the name", query.get_attribute("value").endswith(" | service"), query.get_attribute("value"))
        query.clear()
        query.send_keys('{service=~"checkout|payments"}')
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
        run.check("Back restores the previous search", driver.find_element(By.ID, "query").get_attribute("value") == '{service=~"checkout|payments"}')

        # A field's value keeps or leaves out events that have it.
        driver.find_elements(By.CSS_SELECTOR, "#results li")[0].click()
        level_value = wait.until(lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "#results .details dd button.value") if b.text == "WARN"])
        level_value[0].click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 1)
        run.check("a field's value keeps only events with it",
                  driver.find_element(By.ID, "query").get_attribute("value").endswith('| level="WARN"'),
                  driver.find_element(By.ID, "query").get_attribute("value"))
        driver.back()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 3)
        driver.find_elements(By.CSS_SELECTOR, "#results li")[0].click()
        excluded = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results .details dd button.exclude"))
        pairs = driver.find_elements(By.CSS_SELECTOR, "#results .details dd")
        service_index = [dt.text for dt in driver.find_elements(By.CSS_SELECTOR, "#results .details dt")].index("service")
        pairs[service_index].find_element(By.CSS_SELECTOR, "button.exclude").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 1)
        run.check("its ✕ leaves them out", "payment declined" in driver.find_element(By.CSS_SELECTOR, "#results li").text)

        # Everything: the facets count the tenant's events by label, and a facet's value filters.
        query = driver.find_element(By.ID, "query")
        query.clear()
        query.send_keys('{service=~".+"}', Keys.ENTER)
        def service_facet(d):
            # Read in one script: the facets are drawn anew when a search ends.
            return d.execute_script(
                "return Object.fromEntries([...document.querySelectorAll('#facets ul:first-of-type li')]"
                ".map(li => [li.querySelector('button').textContent, li.querySelector('.count').textContent]))")
        facets = wait.until(lambda d: (lambda found: found if "bulk" in found else None)(service_facet(d)))
        run.shot(driver, "5-facets")
        run.check("the service facet counts every service's events",
                  facets.get("bulk") == "150" and facets.get("checkout") == "2" and facets.get("gateway") == "2", str(facets))
        histogram_bars = driver.find_elements(By.CSS_SELECTOR, "#histogram svg rect[class^='level-']")
        run.check("the histogram draws bars by level", len(histogram_bars) >= 3, str(len(histogram_bars)))
        [b for b in driver.find_elements(By.CSS_SELECTOR, "#facets li button") if b.text == "payments"][0].click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 1)
        run.check("a facet's value filters the search", driver.find_element(By.ID, "query").get_attribute("value").endswith('| service="payments"'))

        # Paging: a page of 100 newest first, then the 50 older ones, each once.
        query = driver.find_element(By.ID, "query")
        query.clear()
        query.send_keys('{service="bulk"}', Keys.ENTER)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 100)
        run.check("a page holds the 100 newest", "bulk event 0" in driver.find_elements(By.CSS_SELECTOR, "#results li")[0].text)
        driver.find_element(By.ID, "older").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 150)
        texts = [row.text.split("bulk event ")[-1] for row in driver.find_elements(By.CSS_SELECTOR, "#results li")]
        run.check("Load older brings the rest, each once, in order", texts == [str(n) for n in range(150)], str(texts[95:105]))
        run.check("and then there is nothing older", not driver.find_element(By.ID, "older").is_displayed())

        # The histogram zooms: dragging across it makes the range its span.
        svg = driver.find_element(By.CSS_SELECTOR, "#histogram svg")
        size = svg.size
        webdriver.ActionChains(driver).move_to_element_with_offset(svg, -size["width"] // 4, 0).click_and_hold() \
            .move_by_offset(size["width"] // 2, 0).release().perform()
        wait.until(lambda d: "from=" in d.current_url)
        run.check("dragging across the histogram zooms to its span",
                  "to=" in driver.current_url and driver.find_element(By.ID, "range").get_attribute("value") == "custom", driver.current_url)

        # A request's story: every event of the request, from both services, the failure marked.
        driver.get(url + "/?" + urllib.parse.urlencode({"q": '{service="gateway"}', "since": "1h"}))
        link = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results .story-link"))
        link[0].click()
        visible("story")
        story = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#story-events li")]
        run.shot(driver, "6-story")
        run.check("a request id opens its story, every service's events in order",
                  len(story) == 3 and "request received" in story[0] and "request answered" in story[2], str(story))
        run.check("the failed step is marked", len(driver.find_elements(By.CSS_SELECTOR, "#story-events li.failed")) == 1)
        bars = driver.execute_script("return [...document.querySelectorAll('#story-events .bar')].map(b => [b.style.marginLeft, b.style.width])")
        # The ledger's 80 ms began 20 ms into the 200 ms request: a bar from 10 % for 40 %.
        near = lambda bar, left, width: abs(float(bar[0].rstrip("%")) - left) < 1 and abs(float(bar[1].rstrip("%")) - width) < 1
        run.check("each step's bar runs from when its work began, for as long as it took",
                  near(bars[1], 10, 40) and near(bars[2], 0, 100), str(bars))
        run.check("the summary names both services", "gateway" in driver.find_element(By.ID, "story-summary").text and
                  "ledger" in driver.find_element(By.ID, "story-summary").text, driver.find_element(By.ID, "story-summary").text)
        driver.find_element(By.ID, "story-close").click()
        visible("search")

        # The live tail: an event ingested now shows at the top; paused, arrivals are counted, not shown; resumed,
        # they come in, newest first.
        query = driver.find_element(By.ID, "query")
        query.clear()
        query.send_keys('{service="live"}', Keys.ENTER)
        wait.until(lambda d: "0 events" in d.find_element(By.ID, "summary").text)
        driver.find_element(By.ID, "live").click()
        wait.until(lambda d: d.find_element(By.ID, "live-state").text == "live")
        ingest(url, tokens[("tenant-a", "ingest")], [line("live-1", "arrived live", service="live")])
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 1)
        run.check("the live tail shows an event as it arrives", "arrived live" in driver.find_element(By.CSS_SELECTOR, "#results li").text)
        driver.find_element(By.ID, "pause").click()
        ingest(url, tokens[("tenant-a", "ingest")], [line("live-2", "while paused 1", service="live"), line("live-3", "while paused 2", service="live")])
        wait.until(lambda d: d.find_element(By.ID, "live-state").text == "paused: 2 new")
        run.check("paused, arrivals are counted and not shown", len(driver.find_elements(By.CSS_SELECTOR, "#results li")) == 1)
        driver.find_element(By.ID, "pause").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 3)
        live_rows = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "#results li")]
        run.shot(driver, "7-live")
        run.check("resumed, they come in newest first", "while paused 2" in live_rows[0] and "arrived live" in live_rows[2], str(live_rows))
        driver.find_element(By.ID, "live").click()
        run.check("the live tail stops", driver.find_element(By.ID, "live-state").text == "" and not driver.find_element(By.ID, "pause").is_displayed())

        # Service health: one service's panels over the range.
        driver.get(url + "/?" + urllib.parse.urlencode({"view": "health", "service": "api", "since": "1h"}))
        visible("health")
        wait.until(lambda d: not [p for p in d.find_elements(By.CSS_SELECTOR, ".panel > div:nth-child(2)") if p.text == "Loading…"])
        # Read as rendered text (scrolled into view or not), cells apart.
        panels = driver.execute_script(
            "return Object.fromEntries([...document.querySelectorAll('.panel')].map(p => [p.querySelector('h3').textContent,"
            " [...p.querySelectorAll('h3, div > div, p, tr')].map(e => e.tagName === 'TR' ? [...e.cells].map(c => c.textContent).join(' ') : e.textContent).join('\\n')]))")
        run.shot(driver, "8-health")
        run.check("the health page has its six panels", len(panels) == 6, str(list(panels)))
        run.check("error rate: 3 errors in 19 events", "3 errors in 19 events" in panels.get("Error rate", ""), panels.get("Error rate", ""))
        run.check("top error codes, most first", "upstream_timeout 2" in panels.get("Top error codes", "") and
                  panels.get("Top error codes", "").index("upstream_timeout") < panels.get("Top error codes", "").index("bad_gateway"),
                  panels.get("Top error codes", ""))
        run.check("latency by route", "/v1/chat" in panels.get("Latency by route (ms)", "") and "/v1/models" in panels.get("Latency by route (ms)", ""),
                  panels.get("Latency by route (ms)", ""))
        run.check("worker restarts", "w-1 2" in panels.get("Worker restarts", ""), panels.get("Worker restarts", ""))
        run.check("tokens and cost by model", "gpt-4o-mini 2,000 400 $1" in panels.get("Tokens and cost by model", ""),
                  panels.get("Tokens and cost by model", ""))
        run.check("the events-by-level chart draws", len(driver.find_elements(By.CSS_SELECTOR, ".panel .chart svg rect[class^='level-']")) > 0)
        [b for b in driver.find_elements(By.CSS_SELECTOR, ".panel .queries button") if "error_code" in b.text][0].click()
        visible("search")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 3)
        run.check("a panel's query opens in search", driver.find_element(By.ID, "query").get_attribute("value") == '{service="api"} | error_code!=""',
                  driver.find_element(By.ID, "query").get_attribute("value"))

        # Alerts: the rule fires for api alone (three errors), with its summary, and the transition is listed.
        time.sleep(1.5)
        driver.find_element(By.ID, "to-alerts").click()
        visible("alerts")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".rule.firing"))
        card = driver.find_element(By.CSS_SELECTOR, ".rule.firing")
        run.shot(driver, "10-alerts")
        run.check("the Alerts page shows the rule firing", "FIRING" in card.text.upper() and "ErrorBurst" in card.text, card.text)
        run.check("with its alert's labels and rendered summary, api alone",
                  "service=api severity=page" in card.text and "api logged 3 errors in the hour" in card.text and "payments" not in card.text, card.text)
        run.check("the Alerts button counts what fires", driver.find_element(By.ID, "firing-count").text == "1")
        wait.until(lambda d: "alert.firing" in d.find_element(By.ID, "alert-transitions").text)
        run.check("recent transitions list the firing", "ErrorBurst firing" in driver.find_element(By.ID, "alert-transitions").text,
                  driver.find_element(By.ID, "alert-transitions").text)
        run.check("the view is in the address", "view=alerts" in driver.current_url, driver.current_url)
        driver.find_element(By.ID, "to-search").click()
        visible("search")

        # A syntax error is shown, not swallowed.
        query = driver.find_element(By.ID, "query")
        query.clear()
        query.send_keys('{service="payments"', Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "query-error").text != "")
        shown_error = driver.find_element(By.ID, "query-error").text.split("\n")
        run.shot(driver, "9-syntax-error")
        # A caret under the column the parser names: the end of the query, where `}` is missing.
        run.check("a query that does not parse says why, at its column",
                  len(shown_error) == 2 and shown_error[0] == '{service="payments"' and shown_error[1].startswith(" " * 19 + "^ ")
                  and "expecting }" in shown_error[1], str(shown_error))

        # The policy held: the browser reported no violation.
        try:
            problems = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
        except Exception:  # a driver without logs: nothing to read
            problems = []
        run.check("no Content-Security-Policy violation", not problems, str(problems))

        # A custom range: only the bulk events lie 590–800 s ago.
        driver.get(url + "/?" + urllib.parse.urlencode({"q": '{service=~".+"}', "since": "1h"}))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 100)
        Select = __import__("selenium.webdriver.support.select", fromlist=["Select"]).Select
        Select(driver.find_element(By.ID, "range")).select_by_value("custom")
        run.check("a custom range shows its pickers", driver.find_element(By.ID, "custom-range").is_displayed())
        driver.execute_script(
            "const local = ms => new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 19);"
            "document.getElementById('from').value = local(Date.now() - 800000);"
            "document.getElementById('to').value = local(Date.now() - 590000);")
        driver.find_element(By.CSS_SELECTOR, "#query-form button[type=submit]").click()
        wait.until(lambda d: "from=" in d.current_url)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results li") and
                   all("bulk" in row.text for row in d.find_elements(By.CSS_SELECTOR, "#results li")))
        run.check("a custom range shows only its events", all("bulk" in row.text for row in driver.find_elements(By.CSS_SELECTOR, "#results li")))

        # An admin switches tenant: tenant-b's events, and only those.
        driver.find_element(By.ID, "sign-out").click()
        visible("sign-in")
        driver.find_element(By.ID, "token").send_keys(tokens[("tenant-a", "admin")], Keys.ENTER)
        visible("tenant-form")
        tenant_field = driver.find_element(By.ID, "tenant")
        tenant_field.clear()
        tenant_field.send_keys("tenant-b", Keys.ENTER)
        wait.until(lambda d: "tenant=tenant-b" in d.current_url)
        Select(driver.find_element(By.ID, "range")).select_by_value("1h")
        wait.until(lambda d: "since=1h" in d.current_url)
        query = driver.find_element(By.ID, "query")
        query.clear()
        query.send_keys('{service=~".+"}', Keys.ENTER)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) == 1)
        run.shot(driver, "10-other-tenant")
        run.check("an admin reads another tenant when asked", "zebra" in driver.find_element(By.CSS_SELECTOR, "#results li").text
                  and "tenant-b" in driver.find_element(By.ID, "who").text, driver.find_element(By.ID, "who").text)

        # The same page in dark mode, and on a phone's width: nothing wider than the screen.
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        run.shot(driver, "11-dark")
        run.check("dark mode is dark", background == "rgb(13, 17, 23)", background)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
        driver.set_window_size(390, 844)
        time.sleep(0.3)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        run.shot(driver, "12-phone")
        run.check("on a phone's width nothing is wider than the screen", overflow <= 0, str(overflow))
        driver.set_window_size(1280, 800)

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
        shutil.rmtree(rules, ignore_errors=True)
    print(f"{run.passed} passed, {run.failed} failed")
    sys.exit(1 if run.failed else 0)


if __name__ == "__main__":
    main()
