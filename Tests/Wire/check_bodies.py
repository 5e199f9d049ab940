#!/usr/bin/env python3
"""Decodes the bodies Keel's Loki and OTLP sinks send (written by WireSampleTests into DIR) with the formats' official
schemas: OpenTelemetry's `opentelemetry-proto` (PyPI) for OTLP, and Loki's push.proto (the fields of
`Protos/loki_push.proto`, compiled here with grpcio-tools) for Loki, after undoing snappy's block format by hand.
Checks what each sample batch must say.   python3 Tests/Wire/check_bodies.py DIR
"""
import gzip
import importlib
import os
import subprocess
import sys
import tempfile

directory = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []
passed = []


def check(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + ("" if ok else f"  {detail}"))
    (passed if ok else failures).append(name)


def unsnappy(data):
    """Snappy's block format: a varint length, then literals and copies."""
    position, length, shift = 0, 0, 0
    while True:
        byte = data[position]
        position += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    out = bytearray()
    while position < len(data):
        tag = data[position]
        position += 1
        kind = tag & 3
        if kind == 0:
            count = tag >> 2
            if count >= 60:
                extra = count - 59
                count = int.from_bytes(data[position:position + extra], "little")
                position += extra
            count += 1
            out += data[position:position + count]
            position += count
        else:
            if kind == 1:
                count = ((tag >> 2) & 7) + 4
                offset = ((tag >> 5) << 8) | data[position]
                position += 1
            elif kind == 2:
                count = (tag >> 2) + 1
                offset = int.from_bytes(data[position:position + 2], "little")
                position += 2
            else:
                count = (tag >> 2) + 1
                offset = int.from_bytes(data[position:position + 4], "little")
                position += 4
            for _ in range(count):
                out.append(out[-offset])
    assert len(out) == length, f"snappy length {len(out)} != {length}"
    return bytes(out)


# OTLP, with the official schema.
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2  # noqa: E402

request = logs_service_pb2.ExportLogsServiceRequest()
request.ParseFromString(gzip.decompress(open(os.path.join(directory, "otlp-logs.pb.gz"), "rb").read()))
resources = {tuple((a.key, a.value.string_value) for a in r.resource.attributes): r for r in request.resource_logs}
api = resources.get((("service.name", "api"), ("deployment.environment", "prod"), ("service.version", "1.4.2")))
check("OTLP: one resource per service, env and version", len(resources) == 3 and api is not None, str(list(resources)))
record = api.scope_logs[0].log_records[0]
attributes = {a.key: a.value for a in record.attributes}
check("OTLP: time, severity and body", record.time_unix_nano == 1796464800000001000 and record.severity_number == 17
      and record.severity_text == "ERROR" and record.body.string_value == "upstream failed", str(record)[:300])
check("OTLP: trace and span ids as bytes", record.trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736" and record.span_id.hex() == "00f067aa0ba902b7")
check("OTLP: typed attributes", attributes["status"].int_value == 502 and attributes["duration_ms"].double_value == 12.5
      and attributes["retryable"].bool_value is True and attributes["event_id"].string_value == "wire-1"
      and attributes["context"].kvlist_value.values[0].key == "attempt", str(attributes)[:300])

# Loki, with push.proto compiled by grpcio-tools.
out = tempfile.mkdtemp(prefix="keel-wire-")
import grpc_tools  # noqa: E402
includes = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{os.path.join(root, 'Protos')}", f"-I{includes}", f"--python_out={out}",
                "loki_push.proto"], check=True)
sys.path.insert(0, out)
push = importlib.import_module("loki_push_pb2")
body = push.PushRequest()
body.ParseFromString(unsnappy(open(os.path.join(directory, "loki-push.snappy"), "rb").read()))
streams = {s.labels: s for s in body.streams}
check("Loki: streams by their labels", sorted(streams) == ['{env="prod", level="ERROR", service="api"}', '{env="prod", level="INFO", service="api"}',
                                                          '{level="INFO", service="worker"}'], str(sorted(streams)))
entry = streams['{env="prod", level="ERROR", service="api"}'].entries[0]
check("Loki: the entry's time and its line whole", entry.timestamp.seconds == 1796464800 and entry.timestamp.nanos == 1000
      and '"event_id":"wire-1"' in entry.line and entry.line.startswith('{"timestamp"'), str(entry)[:300])
metadata = {pair.name: pair.value for pair in entry.structuredMetadata}
check("Loki: structured metadata beside the line", metadata == {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "status": "502",
                                                               "retryable": "true"}, str(metadata))
print(f"{len(passed)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
