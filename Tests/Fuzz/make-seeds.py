#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (Tests/Fuzz/Corpus/<target>/): small valid bodies of every format, so the
fuzzer starts from inputs the parsers accept and mutates its way into the corners. Run again after changing it."""
import gzip, json, os, struct, zlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")

def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out

def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    if wire == 1:
        return key + struct.pack("<Q", payload)
    return key + varint(len(payload)) + payload

def snappy_literal(data):
    out = varint(len(data))
    n = len(data) - 1
    if n < 60:
        return out + bytes([n << 2]) + data
    return out + bytes([61 << 2, n & 0xFF, n >> 8]) + data

keel_line = ('{"timestamp":"2026-01-01T00:00:00.123456Z","level":"WARN","message":"payment failed","event":"http.request",'
             '"service":"api","event_id":"e-1","request_id":"req-1","user_id":"u-7","status":503,"duration_ms":12.5,'
             '"error":{"type":"Timeout","message":"upstream"},"context":{"k":[1,2,{"n":null}],"t":true}}')
foreign = [
    '{"level":30,"time":1767225600000,"pid":1,"hostname":"h","msg":"pino line","req_id":"r-1"}',
    '{"ts":1767225600.5,"lvl":"warning","msg":"caf\\u00e9 \\ud83d\\ude00","caller":"main.go:12"}',
    '{"@timestamp":"2026-01-01T00:00:00+01:00","log.level":"error","message":"ecs","trace.id":"abc"}',
    '{"time":"2026-01-01T00:00:00Z","severity":"INFO","msg":"slog","userId":"u-1","k\\"q":"v"}',
    '{"message":"no time at all","levelname":"CRITICAL","correlation_id":"c-9"}',
]
write("ndjson", "keel", keel_line + "\n")
write("ndjson", "foreign", "\n".join(foreign) + "\n\n  \r\n")
write("ndjson", "mixed-bad", keel_line + "\n{\"message\": oops}\n[1,2]\n" + foreign[0] + "\n")

loki = {"streams": [{"stream": {"app": "api", "level": "error"}, "values": [
    ["1767225600000000000", "plain line"], ["1767225600000000001", keel_line, {"trace_id": "t-1"}]]},
    {"stream": {"job": "x"}, "values": [["1767225600000000002", "{\"msg\":\"json\"}"]]}]}
write("loki-json", "push", json.dumps(loki))

def loki_entry(seconds, nanos, line, metadata=()):
    ts = field(1, 0, seconds) + field(2, 0, nanos)
    body = field(1, 2, ts) + field(2, 2, line.encode())
    for k, v in metadata:
        body += field(3, 2, field(1, 2, k.encode()) + field(2, 2, v.encode()))
    return body

stream = field(1, 2, b'{app="api", env="prod"}') + field(2, 2, loki_entry(1767225600, 5, "plain")) \
    + field(2, 2, loki_entry(1767225601, 0, keel_line, [("trace_id", "t-1")]))
write("loki-protobuf", "push", snappy_literal(field(1, 2, stream)))

def any_string(s):
    return field(1, 2, s.encode())

def kv(k, v):
    return field(1, 2, k.encode()) + field(2, 2, v)

record = field(1, 1, 1767225600000000000) + field(11, 1, 1767225600000000001) + field(2, 0, 17) \
    + field(3, 2, b"ERROR") + field(5, 2, any_string("otlp body")) \
    + field(6, 2, kv("http.route", any_string("/v1/x"))) + field(9, 2, bytes(range(16))) + field(10, 2, bytes(range(8)))
resource = field(1, 2, kv("service.name", any_string("checkout")))
resource_logs = field(1, 2, resource) + field(2, 2, field(2, 2, record))
write("otlp-protobuf", "export", field(1, 2, resource_logs))

otlp = {"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
    "scopeLogs": [{"logRecords": [
        {"timeUnixNano": "1767225600000000000", "severityNumber": 17, "severityText": "ERROR",
         "body": {"stringValue": "otlp json"}, "traceId": "5b8efff798038103d269b633813fc60c",
         "spanId": "eee19b7ec3c1b174", "attributes": [{"key": "n", "value": {"intValue": "42"}},
                                                       {"key": "a", "value": {"arrayValue": {"values": [{"boolValue": True}]}}}]},
        {"observedTimeUnixNano": 1767225600000000000, "body": {"kvlistValue": {"values": [
            {"key": "msg", "value": {"stringValue": "kv body"}}]}}}]}]}]}
write("otlp-json", "export", json.dumps(otlp))

write("inflate", "gzip", gzip.compress((keel_line + "\n").encode()))
write("inflate", "zlib", zlib.compress((keel_line + "\n").encode()))
raw = zlib.compressobj(6, zlib.DEFLATED, -15)
write("inflate", "raw", raw.compress((keel_line + "\n").encode()) + raw.flush())
write("snappy", "literal", snappy_literal((keel_line + "\n").encode()))
# A copy: "abcd" then copy offset 4 length 8 (tag 1: length-4 in bits 2..4, offset high bits 5..7).
write("snappy", "copy", varint(12) + bytes([3 << 2]) + b"abcd" + bytes([((8 - 4) << 2) | 1, 4]))

write("json-parser", "keel", keel_line)
write("json-parser", "values", '[1,-0.5e10,"\\u00e9\\ud83d\\ude00",true,false,null,{"a":{}},[]]')
write("object-scanner", "keel", keel_line)
write("object-scanner", "escapes", '{"k\\"q":"a\\\\b\\/c\\n","n":-12.5E+3,"o":{"x":[1,{"y":null}]}}')

for name, text in [("rfc3339", "2026-01-01T00:00:00.123456Z"), ("offset", "2026-01-01t00:00:00+05:30"),
                   ("seconds", "1767225600"), ("millis", "1767225600123"), ("nanos", "1767225600123456789"),
                   ("fraction", "1767225600.25"), ("duration", "15m")]:
    write("time", name, text)
write("query", "filters", "from=2026-01-01T00:00:00Z&to=1767225600&level=warn&q=timeout&limit=50&request_id=r-1")
for i, q in enumerate([
    '{service="api", level=~"ERROR|WARN"} |= "timeout" | json | status >= 500 and duration_ms > 250ms',
    'sum by (service) (rate({level="ERROR"}[5m])) / sum by (service) (rate({service=~".+"}[5m])) > 0.05',
    'topk(5, sum by (error_code) (count_over_time({error_code!=""}[1h])))',
    'quantile_over_time(0.95, {service="api"} | unwrap duration_ms [5m] offset 1h) by (route)',
    '{service="api"} | logfmt | line_format "{{.route}} {{.status}}" | label_format r=route | drop a | keep r',
    'vector(1)+vector(1)',
]):
    write("logql", "query-%d" % i, q)
write("query", "since", "since=15m&event=http.request&error_code=E1&cursor=20454.1767225600000000.12")
write("last-event-id", "number", "12345")

# Blocks (Sources/KeelBlockStore/Blocks): the payload of two rows (arrivals 41 and 40) — a line kept as columns (its time as the row's own,
# its message a constant) and a line kept whole — alone (the row count, less one, first), and as a whole block: a zstd
# frame of one raw block, the header, and zlib's CRC-32.
def zigzag(n):
    return (n << 1) ^ (n >> 63)

def data(b):
    return varint(len(b)) + b

t0 = 1795392000000000
payload = varint(zigzag(t0)) + varint(zigzag(1000))
payload += varint(zigzag(41)) + varint(zigzag(-1))
payload += varint(2) + data(b"timestamp") + data(b"message")
payload += varint(1) + varint(2) + varint(0) + varint(1)
payload += varint(1) + varint(0)
payload += bytes([3]) + bytes([0]) + data(b'"a"')
payload += data(b"x y")
write("block", "payload", bytes([1]) + payload)
frame = struct.pack("<I", 0xFD2FB528) + bytes([0x20, len(payload)]) + struct.pack("<I", 1 | (len(payload) << 3))[:3] + payload
header = b"KBLK" + bytes([1]) + varint(2) + varint(len(payload)) + varint(zigzag(t0)) + varint(zigzag(t0 + 1000)) + varint(len(frame))
write("block", "block", header + struct.pack("<I", zlib.crc32(header + frame)) + frame)

# Rule files (Loki's ruler format): the example rules, and small groups with every kind of rule and template.
with open(os.path.join(os.path.dirname(root), "..", "..", "examples", "rules", "default.yaml")) as f:
    write("rules", "examples", f.read())
write("rules", "alert", """groups:
  - name: errors
    interval: 30s
    rules:
      - alert: ErrorsPerService
        expr: sum by (service) (rate({level="ERROR"}[5m])) > 1
        for: 5m
        keep_firing_for: 2m
        labels: {severity: page}
        annotations:
          summary: '{{ $labels.service }} logs {{ $value | humanize }} errors a second ({{ printf "%.2f" $value }})'
      - record: service:errors:rate5m
        expr: sum by (service) (rate({level="ERROR"}[5m]))
""")
write("rules", "anchors", "groups: &g\n  - name: a\n    rules: [{alert: A, expr: 'vector(1)', labels: &l {x: y}, annotations: *l}]\n")
