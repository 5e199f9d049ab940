#!/usr/bin/env python3
"""What SQLite itself (Python's sqlite3: the system SQLite, no Swift) ingests per second for the store's candidate
layouts: 1,000-row transactions, WAL, synchronous=NORMAL, W1-sized rows (~560-byte line, 26-character request ids,
constant message). The ceiling the store's own code cannot beat; see docs/benchmarks.md, issue 6.

    scripts/sqlite-schema-ceiling.py [ROWS=200000]
"""
import os, random, sqlite3, sys, tempfile, time

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
LINE = "x" * 560

LAYOUTS = {
    # The reference: one table with the line, an index on (tenant, ts), FTS5 on the message.
    "reference (tenant, ts) + FTS5 trigram": (
        "CREATE TABLE events(ts INTEGER, tenant TEXT, message TEXT, line TEXT);"
        "CREATE INDEX e_t ON events(tenant, ts);"
        "CREATE VIRTUAL TABLE fts USING fts5(message, content='', tokenize='trigram');",
        "INSERT INTO events VALUES (?,?,?,?)", lambda seq: (1795392000000000 + seq * 8640, "tenant_42", "request handled", LINE),
        "INSERT INTO fts(rowid, message) VALUES (?,?)"),
    # The store's first layout: narrow events, lines apart, a ts index and the dedupe index.
    "first layout: narrow events + lines + ts + (ts, dedupe) + FTS5": (
        "CREATE TABLE events(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, level INTEGER NOT NULL, event TEXT,"
        " error_code TEXT, request_id TEXT, trace_id TEXT, run_id TEXT, user_id TEXT, event_id TEXT NOT NULL,"
        " dedupe INTEGER NOT NULL);"
        "CREATE TABLE lines(seq INTEGER PRIMARY KEY, line TEXT NOT NULL);"
        "CREATE INDEX events_ts ON events(ts); CREATE UNIQUE INDEX events_dedupe ON events(ts, dedupe);"
        "CREATE VIRTUAL TABLE fts USING fts5(message, content='', tokenize='trigram');",
        None, None, "INSERT INTO fts(rowid, message) VALUES (?,?)"),
    # The per-row layout: the line inline, one unique (ts, dedupe) index, FTS5 without its size table.
    "per-row: inline line + (ts, dedupe) + FTS5 columnsize=0": (
        "CREATE TABLE events(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, level INTEGER NOT NULL, event TEXT,"
        " error_code TEXT, request_id TEXT, trace_id TEXT, run_id TEXT, user_id TEXT, event_id TEXT NOT NULL,"
        " dedupe INTEGER NOT NULL, line TEXT NOT NULL);"
        "CREATE UNIQUE INDEX events_ts_dedupe ON events(ts, dedupe);"
        "CREATE VIRTUAL TABLE fts USING fts5(message, content='', tokenize='trigram', columnsize=0);",
        None, None, "INSERT INTO fts(rowid, message) VALUES (?,?)"),
    # The layout now (ChunkText): the same, but the text index holds each chunk's distinct messages once (log messages
    # are templates), not every row's; a search then checks the matching chunks' rows.
    "now: as per-row, FTS5 over distinct messages per 256-row chunk": (
        "CREATE TABLE events(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, level INTEGER NOT NULL, event TEXT,"
        " error_code TEXT, request_id TEXT, trace_id TEXT, run_id TEXT, user_id TEXT, event_id TEXT NOT NULL,"
        " dedupe INTEGER NOT NULL, line TEXT NOT NULL);"
        "CREATE UNIQUE INDEX events_ts_dedupe ON events(ts, dedupe);"
        "CREATE VIRTUAL TABLE fts USING fts5(message, content='', tokenize='trigram', columnsize=0);",
        None, None, "INSERT OR IGNORE INTO fts(rowid, message) VALUES (?,?)"),
}


def event_row(seq, inline):
    row = (seq, 1795392000000000 + seq * 8640, 2, "log", None, "%026d" % seq, None, None, "user_789",
           "01a208f3-5646-863e-b61e-%012x" % seq, random.getrandbits(62))
    return row + (LINE,) if inline else row


def run(name, schema, insert, make, fts):
    path = os.path.join(tempfile.mkdtemp(), "ceiling.sqlite")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL"); db.execute("PRAGMA cache_size=-32768")
    db.executescript(schema)
    inline = name.startswith("per-row") or name.startswith("now")
    per_chunk = name.startswith("now")
    started = time.time()
    seq = 0
    for _ in range(ROWS // 1000):
        db.execute("BEGIN")
        first = seq + 1
        seq += 1000
        if insert:
            db.executemany(insert, [make(n) for n in range(first, seq + 1)])
        else:
            rows = [event_row(n, inline) for n in range(first, seq + 1)]
            db.executemany("INSERT OR IGNORE INTO events VALUES (%s)" % ",".join("?" * len(rows[0])), rows)
            if not inline:
                db.executemany("INSERT INTO lines VALUES (?,?)", [(n, LINE) for n in range(first, seq + 1)])
        if per_chunk:
            # One document per (chunk, distinct message): rowid = chunk * 256 + the message's slot in its chunk.
            docs = {}
            for n in range(first, seq + 1):
                docs.setdefault((n // 256, "request handled"), len(docs))
            db.executemany(fts, [(chunk * 256, message) for (chunk, message) in docs])
        else:
            db.executemany(fts, [(n, "request handled") for n in range(first, seq + 1)])
        db.execute("COMMIT")
    elapsed = time.time() - started
    print("%-62s %7.0f rows/s  %4d B/row" % (name, ROWS / elapsed, os.path.getsize(path) // ROWS))
    db.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix): os.remove(path + suffix)


print("SQLite", sqlite3.sqlite_version, "-", ROWS, "rows per layout")
for name, (schema, insert, make, fts) in LAYOUTS.items():
    run(name, schema, insert, make, fts)
