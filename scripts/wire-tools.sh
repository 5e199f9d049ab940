#!/usr/bin/env bash
# What Tests/Wire/check_bodies.py decodes with, installed when missing (PyPI): OpenTelemetry's official protobuf
# schema (opentelemetry-proto) and protoc for Python (grpcio-tools), for Loki's push.proto.
set -euo pipefail
if ! python3 -c "import opentelemetry.proto.collector.logs.v1.logs_service_pb2, grpc_tools" 2>/dev/null; then
    python3 -m pip install -q opentelemetry-proto grpcio-tools 2>/dev/null \
        || python3 -m pip install -q --break-system-packages opentelemetry-proto grpcio-tools
fi
