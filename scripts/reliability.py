#!/usr/bin/env python3
"""The end-to-end reliability battery: a real `keel serve` process, treated as production treats it.

Each check is bounded in count and time, talks to 127.0.0.1 only, stops every process it started by its pid, prints
its figures, and the run ends with "N passed, N failed". docs/reliability.md says what each check promises.

    scripts/reliability                      # builds the release binary, then runs every check
    scripts/reliability.py --binary B [--store sqlite] [NAME…]
        # checks by name: kill9 disk_full slowloris sse_resume erasure corruption bombs
"""
import argparse
import gzip
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib

BINARY = None
STORE = "blocks"  # --store of every server but the corruption check's (always blocks): keel serve's default


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `keel serve` on 127.0.0.1, its tokens, and its resident memory."""

    tokens = {}

    def __init__(self, data, port=None, extra=(), store=None):
        self.data = data
        self.port = port or free_port()
        os.makedirs(data, exist_ok=True)
        self.log = open(os.path.join(os.path.dirname(data.rstrip("/")) or ".", f"serve-{self.port}.log"), "ab")
        env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--data", data, "--listen", f"127.0.0.1:{self.port}", "--store", store or STORE, *extra],
            stdout=self.log, stderr=subprocess.PIPE, env=env)
        self._stderr = b""
        threading.Thread(target=self._read_stderr, daemon=True).start()
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"keel serve exited {self.process.returncode}: {self._stderr[-500:]!r}")
            try:
                if request(self.port, "GET", "/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError("keel serve did not answer /healthz within 30 s")
        if data not in Server.tokens:
            text = self._stderr.decode(errors="replace")
            admin = text.split("admin token:")[1].split()[0]
            ingest = text.split("ingest token:")[1].split()[0]
            read = subprocess.run([BINARY, "token", "create", "--data", data, "--tenant", "default", "--role", "read"],
                                  capture_output=True, text=True, check=True).stdout.strip()
            Server.tokens[data] = {"admin": admin, "ingest": ingest, "read": read}
        self.token = Server.tokens[data]

    def _read_stderr(self):
        for line in self.process.stderr:
            self._stderr += line

    @property
    def alive(self):
        return self.process.poll() is None

    def rss_kib(self, field="VmRSS"):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            return 0
        return 0

    def kill9(self):
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()

    def ingest(self, lines, timeout=30):
        body = ("\n".join(lines) + "\n").encode()
        return request(self.port, "POST", "/v1/events", self.token["ingest"], body,
                       {"Content-Type": "application/x-ndjson"}, timeout=timeout)

    def stored_ids(self):
        """Every stored event id, with repeats (an export is one stream of every event)."""
        status, body = request(self.port, "GET", "/v1/export?from=0", self.token["read"], timeout=300)
        if status != 200:
            raise RuntimeError(f"export answered {status}: {body[:300]!r}")
        return [json.loads(line)["event_id"] for line in body.splitlines() if line.strip()]


def request(port, method, path, token=None, body=None, headers=None, timeout=10):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%06dZ" % (time.time() % 1 * 1e6)


def event(event_id, message="reliability event", extra=""):
    return (f'{{"timestamp":"{now_rfc3339()}","level":"INFO","message":"{message}","event_id":"{event_id}"'
            + (("," + extra) if extra else "") + "}")


# ---------------------------------------------------------------------------------------------------------------
# The checks. Each returns (passed, {figure: value}).


# Small blocks flushed often, so that kills land during flushes and merges too.
CHURN = ("--block-rows", "500", "--flush-after", "0.05")


def check_kill9(work):
    """kill -9 during ingest, flushes and merges, 20 times: every acknowledged event is stored, none twice."""
    data = os.path.join(work, "kill9")
    acked, unanswered, rounds = set(), set(), 20
    for round_number in range(rounds):
        server = Server(data, extra=CHURN)
        stop = threading.Event()

        def send(sender):
            batch = 0
            while not stop.is_set() and batch < 10_000:
                ids = [f"r{round_number}-s{sender}-b{batch}-{n}" for n in range(200)]
                try:
                    status, _ = server.ingest([event(i) for i in ids], timeout=10)
                    if status == 200:
                        acked.update(ids)
                    else:
                        unanswered.update(ids)
                except OSError:
                    unanswered.update(ids)
                    return
                batch += 1

        senders = [threading.Thread(target=send, args=(s,)) for s in range(2)]
        for thread in senders:
            thread.start()
        time.sleep(random.uniform(0.3, 1.2))
        server.kill9()
        stop.set()
        for thread in senders:
            thread.join(timeout=30)
    server = Server(data, extra=CHURN)
    stored = server.stored_ids()
    server.stop()
    stored_set = set(stored)
    lost = len(acked - stored_set)
    duplicates = len(stored) - len(stored_set)
    in_flight_stored = len(unanswered & stored_set)
    return lost == 0 and duplicates == 0, {
        "kills": rounds, "acknowledged": len(acked), "stored": len(stored_set), "acknowledged but lost": lost,
        "duplicates": duplicates, "unanswered batches' events stored": f"{in_flight_stored} of {len(unanswered)}"}


def check_disk_full(work):
    """The data directory on a 24 MiB tmpfs filled by ingest: 507/503 (never 2xx for what was not stored), no crash,
    and once space returns, ingest resumes with every acknowledged event present."""
    mount = os.path.join(work, "small-disk")
    os.makedirs(mount, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount]).returncode != 0:
        return False, {"error": "cannot mount a tmpfs (needs root)"}
    try:
        data = os.path.join(mount, "data")
        server = Server(data)
        acked, statuses, first_full = set(), {}, None
        started = time.time()
        batch = 0
        while time.time() - started < 120 and batch < 5_000:
            ids = [f"full-{batch}-{n}" for n in range(500)]
            # Random text, so that compression does not put off filling the disk.
            status, _ = server.ingest([event(i, os.urandom(150).hex()) for i in ids])
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                acked.update(ids)
            elif first_full is None:
                first_full = batch
            if first_full is not None and batch - first_full >= 20:
                break  # twenty refusals in a row: full, and it stayed up
            batch += 1
        alive_when_full = server.alive
        healthy = request(server.port, "GET", "/healthz")[0] == 200
        subprocess.run(["mount", "-o", "remount,size=256m", mount], check=True)
        recovered = 0
        for n in range(20):
            ids = [f"after-{n}-{k}" for k in range(100)]
            status, _ = server.ingest([event(i) for i in ids])
            if status == 200:
                acked.update(ids)
                recovered += 1
            time.sleep(0.1)
        stored = set(server.stored_ids())
        server.stop()
        server = Server(data)
        stored_after_restart = set(server.stored_ids())
        server.stop()
        lost = len(acked - stored)
        lost_after_restart = len(acked - stored_after_restart)
        refused_right = all(code in (200, 503, 507) for code in statuses)
        ok = (first_full is not None and alive_when_full and healthy and refused_right and recovered > 0
              and lost == 0 and lost_after_restart == 0)
        return ok, {"answers while filling": statuses, "stayed up": alive_when_full and healthy,
                    "batches accepted after space returned": f"{recovered} of 20", "acknowledged": len(acked),
                    "acknowledged but lost": lost, "lost after restart": lost_after_restart,
                    **({"first lost": sorted(acked - stored)[:3]} if lost else {})}
    finally:
        subprocess.run(["umount", "-l", mount])


def check_slowloris(work, seconds=60, connections=200):
    """200 connections sending a request head a byte at a time for 60 s: /healthz and a normal client's ingest
    still answer within 1 s, and memory stays bounded."""
    server = Server(os.path.join(work, "slowloris"))
    rss_before = server.rss_kib()
    stop = threading.Event()
    opened = [0]

    def loris():
        sock = None
        while not stop.is_set():
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                    sock.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\n")
                    opened[0] += 1
                sock.sendall(b"X")
            except OSError:
                sock = None  # closed by the server: open another
            stop.wait(random.uniform(5, 10))
        if sock:
            sock.close()

    threads = [threading.Thread(target=loris, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    worst_health, worst_ingest, rounds, failures = 0.0, 0.0, 0, 0
    started = time.time()
    while time.time() - started < seconds:
        t0 = time.time()
        health = request(server.port, "GET", "/healthz", timeout=5)[0]
        t1 = time.time()
        status, _ = server.ingest([event(f"loris-{rounds}-{n}") for n in range(100)], timeout=5)
        t2 = time.time()
        worst_health, worst_ingest = max(worst_health, t1 - t0), max(worst_ingest, t2 - t1)
        failures += health != 200 or status != 200
        rounds += 1
        time.sleep(max(0, 1 - (time.time() - t0)))
    rss_during = server.rss_kib()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    server.stop()
    grown = (rss_during - rss_before) / 1024
    ok = failures == 0 and worst_health < 1 and worst_ingest < 1 and grown < 64
    return ok, {"slow connections": connections, "connections opened": opened[0], "seconds": seconds,
                "rounds": rounds, "failed rounds": failures, "worst /healthz s": round(worst_health, 3),
                "worst ingest s": round(worst_ingest, 3), "RSS growth MiB": round(grown, 1)}


def check_sse_resume(work, disconnects=1000, limit_seconds=300):
    """1,000 forced disconnects of a live tail, each resumed with Last-Event-ID, while events arrive: every event is
    delivered exactly once."""
    server = Server(os.path.join(work, "sse"))
    total = 30_000
    stop = threading.Event()

    def ingest():
        for batch in range(total // 100):
            server.ingest([event(f"sse-{batch}-{n}") for n in range(100)])
            time.sleep(0.01)
        stop.set()

    sender = threading.Thread(target=ingest)
    sender.start()
    seen, last_id, done, started = [], "0", 0, time.time()

    def tail(last_id, want, timeout):
        """Reads up to `want` events after `last_id`, then drops the connection; returns the events and the new
        last id. Stops early when nothing arrives for `timeout` seconds."""
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
        events = []
        try:
            connection.request("GET", "/v1/tail", headers={
                "Authorization": f"Bearer {server.token['read']}", "Last-Event-ID": last_id})
            response = connection.getresponse()
            current = None
            while len(events) < want:
                line = response.readline()
                if not line:
                    break
                line = line.rstrip(b"\r\n")
                if line.startswith(b"id: "):
                    current = line[4:].decode()
                elif line.startswith(b"data: ") and current is not None:
                    events.append(json.loads(line[6:])["event_id"])
                    last_id = current
        except (socket.timeout, TimeoutError):
            pass
        finally:
            connection.close()  # a forced disconnect, mid-stream
        return events, last_id

    while time.time() - started < limit_seconds:
        # Up to 40 events a connection (20.5 on average): the 30,000 events last well over 1,000 disconnects, however
        # fast they are delivered.
        events, last_id = tail(last_id, random.randint(1, 40), 10)
        seen += events
        done += 1
        if done >= disconnects and stop.is_set():
            break
    sender.join(timeout=120)
    # Whatever is left, in one last resume.
    while True:
        events, last_id = tail(last_id, 100_000, 2)
        seen += events
        if not events:
            break
    stored = server.stored_ids()
    server.stop()
    gaps = len(set(stored) - set(seen))
    duplicates = len(seen) - len(set(seen))
    return gaps == 0 and duplicates == 0 and done >= disconnects, {
        "disconnects": done, "events stored": len(stored), "events delivered": len(seen), "gaps": gaps,
        "duplicates": duplicates}


ZSTD_FRAME = b"\x28\xb5\x2f\xfd"


def readable_bytes(data):
    """A file's bytes, and those of the zstd frame it holds (a block of the block store) decompressed: a canary must
    not survive compressed either."""
    start = data.find(ZSTD_FRAME)
    if start < 0:
        return data
    out = subprocess.run(["zstd", "-d", "-c", "-q"], input=data[start:], capture_output=True).stdout
    return data + out


def files_holding(needle, directory):
    found = []
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if needle in readable_bytes(f.read()):
                        found.append(os.path.relpath(path, directory))
            except OSError:
                pass
    return found


def check_erasure(work):
    """POST /v1/forget leaves 0 bytes of an erased user's canary in any file of the data directory (database, WAL,
    text index, anything), also after a restart."""
    data = os.path.join(work, "erasure")
    server = Server(data)
    canary = "CANARY-%08x" % random.getrandbits(32)
    lines = []
    for n in range(20_000):
        if n % 50 == 0:
            lines.append(event(f"gone-{n}", f"order {canary} {n}", f'"user_id":"u-canary","context":{{"note":"{canary}"}}'))
        else:
            lines.append(event(f"kept-{n}", f"order {n}", f'"user_id":"u-{n}"'))
    for start in range(0, len(lines), 1000):
        server.ingest(lines[start:start + 1000])
    before = files_holding(canary.encode(), data)
    status, body = request(server.port, "POST", "/v1/forget", server.token["admin"],
                           b'{"user_id":"u-canary","dry_run":false}', {"Content-Type": "application/json"})
    answer = json.loads(body)
    after = files_holding(canary.encode(), data)
    server.stop()
    server = Server(data)
    after_restart = files_holding(canary.encode(), data)
    remaining = len(server.stored_ids())
    server.stop()
    ok = bool(before) and status == 200 and answer.get("events") == 400 and not after and not after_restart
    return ok, {"files holding the canary before": len(before), "events erased": answer.get("events"),
                "files holding it after": len(after), "after restart": len(after_restart),
                "events kept": remaining}


def check_corruption(work):
    """A byte flipped in one block file: the block fails its checksum, is logged and counted in /metrics and skipped;
    the server keeps answering, with every other block's events, and keeps ingesting."""
    data = os.path.join(work, "corruption")
    server = Server(data, extra=("--block-rows", "1000"), store="blocks")
    ids = [f"c-{n}" for n in range(5_000)]
    for start in range(0, len(ids), 500):
        server.ingest([event(i) for i in ids[start:start + 500]])
    server.stop()  # a clean stop flushes the heads: five blocks of 1,000
    blocks = sorted(os.path.join(root, name) for root, _, files in os.walk(data) for name in files if name.endswith(".kb"))
    victim = blocks[len(blocks) // 2]
    with open(victim, "r+b") as f:
        f.seek(os.path.getsize(victim) // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x10]))
    server = Server(data, extra=("--block-rows", "1000"), store="blocks")
    stored = set(server.stored_ids())
    status, metrics = request(server.port, "GET", "/metrics", server.token["admin"])
    counted = b"keel_store_damaged_blocks 1" in metrics
    acked = server.ingest([event("after-damage")])[0]
    again = "after-damage" in set(server.stored_ids())
    alive = server.alive
    server.stop()
    logged = "cannot be read" in open(server.log.name, errors="replace").read() + server._stderr.decode(errors="replace")
    ok = len(blocks) == 5 and len(stored) == 4_000 and counted and logged and acked == 200 and again and alive
    return ok, {"blocks": len(blocks), "events read after the damage": f"{len(stored)} of 5,000", "counted in /metrics": counted,
                "logged": logged, "ingest afterwards": acked, "server up": alive}


def snappy_bomb(size):
    """A snappy block that claims and expands to `size` bytes by copying 64 bytes at a time (ratio ~21)."""
    def varint(n):
        out = b""
        while True:
            b, n = n & 0x7F, n >> 7
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out
    body = varint(size) + bytes([(64 - 1) << 2]) + b"A" * 64
    copies = (size - 64) // 64
    body += bytes([((64 - 1) << 2) | 2, 64, 0]) * copies
    return body


def check_bombs(work):
    """Compression bombs (gzip, deflate, snappy) and 100,000-deep JSON: a 4xx each, the server up, and its peak
    memory grows by less than twice the decompressed-body limit (64 MiB)."""
    server = Server(os.path.join(work, "bombs"))
    baseline = server.rss_kib("VmHWM")
    zeros = b"\0" * (1 << 30)
    bombs = {
        "gzip 1 GiB": (gzip.compress(zeros, 9), {"Content-Encoding": "gzip"}, "/v1/events", "application/x-ndjson"),
        "deflate 1 GiB": (zlib.compress(zeros, 9), {"Content-Encoding": "deflate"}, "/v1/events", "application/x-ndjson"),
        "snappy 200 MiB": (snappy_bomb(200 << 20), {"Content-Encoding": "snappy"}, "/v1/events", "application/x-ndjson"),
        "Loki snappy 200 MiB": (snappy_bomb(200 << 20), {}, "/loki/api/v1/push", "application/x-protobuf"),
        "JSON 100k deep": (b"[" * 100_000 + b"]" * 100_000, {}, "/loki/api/v1/push", "application/json"),
        "NDJSON 100k deep": (b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", {}, "/v1/events", "application/x-ndjson"),
        "OTLP JSON 100k deep": (b'{"resourceLogs":' + b"[" * 100_000 + b"]" * 100_000 + b"}", {}, "/v1/logs", "application/json"),
    }
    del zeros
    answers, ok = {}, True
    for name, (body, headers, path, content_type) in bombs.items():
        status, reply = request(server.port, "POST", path, server.token["ingest"], body,
                                dict(headers, **{"Content-Type": content_type}), timeout=60)
        reason = json.loads(reply).get("reason") if reply.startswith(b"{") else reply[:40]
        answers[name] = f"{status} {reason} ({len(body) >> 10} KiB sent)"
        ok &= 400 <= status < 500
    peak_growth = (server.rss_kib("VmHWM") - baseline) / 1024
    alive = server.alive and request(server.port, "GET", "/healthz")[0] == 200
    server.stop()
    ok &= alive and peak_growth < 128
    return ok, dict(answers, **{"peak RSS growth MiB": round(peak_growth, 1), "server up": alive})


CHECKS = {"kill9": check_kill9, "disk_full": check_disk_full, "slowloris": check_slowloris,
          "sse_resume": check_sse_resume, "erasure": check_erasure, "corruption": check_corruption, "bombs": check_bombs}


def main():
    global BINARY, STORE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--store", choices=["sqlite", "blocks"], default="blocks", help="the store every check runs on")
    parser.add_argument("checks", nargs="*", default=list(CHECKS))
    arguments = parser.parse_args()
    BINARY = os.path.abspath(arguments.binary)
    STORE = arguments.store
    work = tempfile.mkdtemp(prefix="keel-reliability-")
    passed = failed = 0
    try:
        for name in arguments.checks:
            started = time.time()
            try:
                ok, figures = CHECKS[name](work)
            except Exception as error:  # a check that cannot run has failed
                ok, figures = False, {"error": repr(error)}
            seconds = time.time() - started
            passed += ok
            failed += not ok
            print(f"\n{name}: {'ok' if ok else 'FAILED'} ({seconds:.0f} s)")
            for key, value in figures.items():
                print(f"  {key:<40} {value}")
            sys.stdout.flush()
    finally:
        subprocess.run(["umount", "-l", os.path.join(work, "small-disk")], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
