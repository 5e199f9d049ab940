"""The shipping soak (issue 20): a separate logging process (keel-soak-logger) ships EVENTS events with unique `seq`
values through a fault-injecting proxy to `keel serve`, while the proxy answers 503 storms with Retry-After, resets
connections, stalls past the client's timeout, and the server is killed (SIGKILL) and restarted, then down for a long
outage. Afterwards the server's export must hold every `seq` the logger wrote (0 lost); duplicates are counted (the
server keeps one per event_id); the logger's peak RSS and its logging calls' time during the outage are reported
and bounded (no call waits on the network).

    python3 Tests/Soak/ship_soak.py --keel .build/debug/keel --logger .build/debug/keel-soak-logger \
        [--events 100000] [--seconds 100] [--outage 60] [--report soak.json]

Everything listens on 127.0.0.1; every process started is stopped by its pid."""
import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FaultProxy:
    """A TCP proxy before the server that misbehaves on demand: `pass` pipes bytes both ways; `unavailable` answers
    each request 503 with Retry-After: 1; `reset` resets connections (RST); `stall` reads requests and never answers.
    A connection open when the mode leaves `pass` is reset at its next bytes."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.mode = "pass"
        self.counts = {}
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        self.ready.set()
        self.loop.run_until_complete(server.serve_forever())

    def _count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    @staticmethod
    def _reset(writer):
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        writer.transport.abort()

    @staticmethod
    async def _request(reader):
        """One HTTP/1.1 request's head and body (by Content-Length); None at the end of the connection."""
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        return head

    async def _client(self, reader, writer):
        mode = self.mode
        self._count(mode)
        try:
            if mode == "reset":
                self._reset(writer)
            elif mode == "unavailable":
                while self.mode == "unavailable":
                    await self._request(reader)
                    writer.write(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                self._reset(writer)
            elif mode == "stall":
                while self.mode == "stall":
                    await asyncio.sleep(0.1)
                self._reset(writer)
            else:
                await self._pipe(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            writer.transport.abort()

    async def _pipe(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            self._count("upstream refused")
            self._reset(writer)
            return

        async def client_to_server():
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if self.mode != "pass":
                    self._count("reset mid-connection")
                    self._reset(writer)
                    up_writer.transport.abort()
                    return
                up_writer.write(data)
                await up_writer.drain()
            up_writer.close()

        async def server_to_client():
            while True:
                data = await up_reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            writer.close()

        await asyncio.gather(client_to_server(), server_to_client(), return_exceptions=True)


class Server:
    def __init__(self, keel, data, port):
        self.keel, self.data, self.port, self.process = keel, data, port, None

    def start(self):
        self.process = subprocess.Popen(
            [self.keel, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=open(self.data + ".err", "ab"))
        for _ in range(400):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("keel serve did not start: " + open(self.data + ".err").read()[-2000:])

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else 0


def export_seqs(port, token):
    """The `seq` of every soak event the server holds (with repeats, if it held any twice)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/export?since=2h", headers={"Authorization": f"Bearer {token}"})
    seqs = []
    with urllib.request.urlopen(request, timeout=120) as answer:
        for line in answer:
            event = json.loads(line)
            if event.get("event") == "soak.event":
                # Fields outside the schema are kept under `context`.
                seq = event.get("context", {}).get("seq")
                if seq is None:
                    raise SystemExit(f"an event without its seq: {line[:400]!r}")
                seqs.append(int(seq))
    return seqs


def summarize(logged, seqs, proxy_counts, code, outage_start, outage_end):
    stored = set(seqs)
    outage = [s for s in logged["seconds"] if outage_start + 1 <= s["second"] < outage_end - 1]
    before = [s for s in logged["seconds"] if s["second"] < 8]
    return {
        "events_logged": logged["events"], "stored": len(stored), "lost": len(set(range(logged["events"])) - stored),
        "stored_twice": len(seqs) - len(stored), "sent_again_duplicates": logged["duplicates"],
        "sender_sent": logged["sent"], "sender_retried": logged["retried"], "sender_dropped": logged["dropped"],
        "delivered": logged["delivered"], "drain_seconds": round(logged["waited_seconds"], 1),
        "delivery_p99_ms": logged.get("delivery_p99_milliseconds"),
        "peak_rss_mib": round(logged["peak_rss_kilobytes"] / 1024, 1),
        "caller_p99_us_before_faults": round(percentile([s["p99_nanoseconds"] for s in before], 0.5) / 1000, 1),
        "caller_p99_us_during_outage": round(percentile([s["p99_nanoseconds"] for s in outage], 0.5) / 1000, 1),
        "caller_max_us_during_outage": round(max([s["max_nanoseconds"] for s in outage] or [0]) / 1000, 1),
        "rss_mib_at_outage_end": round((outage[-1]["rss_kilobytes"] if outage else 0) / 1024, 1),
        "proxy": proxy_counts, "logger_exit": code,
    }


def failures(summary):
    found = []
    if summary["lost"] or summary["stored"] < summary["events_logged"]:
        found.append(f"{summary['lost']} events lost")
    if summary["logger_exit"] != 0 or not summary["delivered"]:
        found.append(f"the logger did not see everything delivered (exit {summary['logger_exit']})")
    if summary["sender_dropped"]:
        found.append(f"the sink dropped {summary['sender_dropped']} lines")
    if summary["caller_max_us_during_outage"] > 100_000:
        found.append("a logging call took over 100 ms during the outage: logging waited on something")
    if summary["peak_rss_mib"] > 256:
        found.append("the logging process's memory was not bounded (peak RSS over 256 MiB)")
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keel", required=True)
    parser.add_argument("--logger", required=True)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=100)
    parser.add_argument("--outage", type=int, default=60)
    parser.add_argument("--report")
    args = parser.parse_args()
    if args.seconds < 60:
        raise SystemExit("--seconds must be at least 60: the faults take the first 50")
    work = tempfile.mkdtemp(prefix="keel-soak-")
    data = os.path.join(work, "data")
    token = lambda role: subprocess.check_output(  # noqa: E731
        [args.keel, "token", "create", "--data", data, "--tenant", "soak", "--role", role], stderr=subprocess.DEVNULL, text=True).strip()
    ingest, read = token("ingest"), token("read")
    # The faults, in seconds after the logger starts: the outage (the server killed, and started again after it) last.
    outage_start, outage_end = 48, 48 + args.outage
    schedule = [(8, "unavailable"), (14, "reset"), (18, "stall"), (30, "pass"), (36, "kill"), (40, "restart"),
                (outage_start, "kill"), (outage_end, "restart")]
    wait = args.outage + 180
    report_path = os.path.join(work, "logger.json")
    server = Server(args.keel, data, free_port())
    server.start()
    proxy = FaultProxy(server.port)
    environment = dict(os.environ, LOG_SHIP_URL=f"http://127.0.0.1:{proxy.port}", LOG_SHIP_TOKEN=ingest,
                       LOG_SHIP_SPOOL_DIR=os.path.join(work, "spool"), LOG_SHIP_BUFFER="disk")
    logger = subprocess.Popen([args.logger, str(args.events), str(args.seconds), str(wait), report_path], env=environment)
    began = time.monotonic()
    try:
        for at, what in schedule:
            time.sleep(max(0, began + at - time.monotonic()))
            print(f"soak: {time.monotonic() - began:6.1f} s: {what}", flush=True)
            if what == "kill":
                server.kill()
            elif what == "restart":
                server.start()
            else:
                proxy.mode = what
        code = logger.wait(timeout=args.seconds + wait + 60)
        seqs = export_seqs(server.port, read)
    finally:
        if logger.poll() is None:
            logger.kill()
        server.stop()
    summary = summarize(json.load(open(report_path)), seqs, proxy.counts, code, outage_start, min(outage_end, args.seconds))
    print(json.dumps(summary, indent=1))
    if args.report:
        with open(args.report, "w") as f:
            json.dump(summary, f, indent=1)
    found = failures(summary)
    if found:
        print("soak FAILED: " + "; ".join(found) + f" (kept {work})", file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("soak passed: 0 lost")


main()
