#!/usr/bin/env python3
"""Whole-process W1 (shared/bench/STANDARD.md): 1,000,000 events on one thread, per handler, file and /dev/null.

Measured as shared/bench/PEERS.md measured the other loggers: wall time of the whole process / events, cpu
(user+sys), bytes per line, peak RSS, median of --runs counted runs after one warm-up run.

Peak RSS is the runner's own, as `/usr/bin/time -f %M` reports it. (wait4 on a process that Python started reports
the driver's ~15 MiB: the child runs in Python's memory between vfork and exec, and the kernel counts that as the
child's high-water mark.)

    swift build -c release --package-path Benchmarks --scratch-path .build-bench --product w1-runner
    python3 scripts/bench-w1.py [--runs 5] [--events 1000000] [--handlers keel,stream,c-snprintf,foundation,noop,loop]

Handlers: keel (the synchronous pipeline, buffered file sink), stream (swift-log's StreamLogHandler), foundation
(a JSONSerialization handler), noop (swift-log's API alone), loop (building the request id alone), and
c-snprintf (PEERS.md's C snprintf + fwrite peer, compiled with gcc -O2: a same-run calibration point).
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, ".build-bench", "release", "w1-runner")
C_PEER_SOURCE = os.path.join(ROOT, "Benchmarks", "peers", "w1_snprintf.c")
C_PEER = os.path.join(ROOT, ".build-bench", "w1_snprintf")


def command(handler, output, events):
    if handler == "c-snprintf":
        return [C_PEER, output, str(events)]
    return [RUNNER, handler, output, str(events)]


TIME = "/usr/bin/time"


def run_once(handler, output, events):
    with tempfile.NamedTemporaryFile(mode="r", suffix=".rss") as rss:
        start = time.perf_counter()
        proc = subprocess.Popen([TIME, "-f", "%M", "-o", rss.name] + command(handler, output, events))
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            sys.exit(f"w1-runner {handler} failed with status {status}")
        # The last line: time writes a note above it when the command fails.
        peak_kib = int(rss.read().split()[-1])
    return wall, usage.ru_utime + usage.ru_stime, peak_kib / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--handlers", default="keel,stream,c-snprintf,noop,loop")
    args = ap.parse_args()
    if not os.path.exists("/dev/null") or not os.path.stat.S_ISCHR(os.stat("/dev/null").st_mode):
        sys.exit("/dev/null is not a character device on this machine (some sandboxes make it a regular file): "
                 "restore it with `rm /dev/null && mknod -m 666 /dev/null c 1 3` before measuring")
    if not os.access(TIME, os.X_OK):
        sys.exit(f"{TIME} is needed for peak RSS: apt-get install time")
    if not os.path.exists(RUNNER):
        sys.exit(f"build the runner first: {__doc__.splitlines()[-2].strip()}")
    if "c-snprintf" in args.handlers:
        subprocess.run(["gcc", "-O2", "-o", C_PEER, C_PEER_SOURCE], check=True)
    tmp = tempfile.mkdtemp(prefix="keel-w1-")
    print(f"| handler | ns/event → file (min–max) | ns/event → /dev/null | cpu ns/event (file) | bytes/line | peak RSS MiB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for handler in args.handlers.split(","):
        results = {}
        for target in ("file", "null"):
            output = os.path.join(tmp, f"{handler}.log") if target == "file" else "/dev/null"
            if handler in ("noop", "iterate", "loop") and target == "file":
                output = "/dev/null"
            run_once(handler, output, args.events)  # warm-up
            runs = []
            for _ in range(args.runs):
                if target == "file" and os.path.exists(output) and output != "/dev/null":
                    os.remove(output)
                runs.append(run_once(handler, output, args.events))
            results[target] = runs
            if target == "file" and output != "/dev/null":
                size = os.path.getsize(output)
                with open(output, "rb") as f:
                    lines = sum(1 for _ in f)
                if lines != args.events:
                    sys.exit(f"{handler}: expected {args.events} lines, found {lines}")
                results["bytes"] = size / lines
        walls = sorted(r[0] for r in results["file"])
        ns = lambda s: s / args.events * 1e9
        median_file = ns(statistics.median(walls))
        median_null = ns(statistics.median(r[0] for r in results["null"]))
        cpu = ns(statistics.median(r[1] for r in results["file"]))
        rss = max(r[2] for r in results["file"] + results["null"])
        bytes_line = f"{results['bytes']:.0f}" if "bytes" in results else "—"
        print(f"| {handler} | {median_file:.0f} ({ns(walls[0]):.0f}–{ns(walls[-1]):.0f}) | {median_null:.0f} | {cpu:.0f} | {bytes_line} | {rss:.1f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
