#!/usr/bin/env bash
# Regenerates the committed Swift code for the wire formats `keel serve` ingests (Protos/*.proto), so that no build
# has to compile swift-protobuf's plugin (minutes on 2 cores). Needs protoc (apt-get install protobuf-compiler) and
# protoc-gen-swift of the swift-protobuf version in Package.swift:
#   git clone https://github.com/apple/swift-protobuf && cd swift-protobuf && git checkout 1.39.0 &&
#   swift build -c release --product protoc-gen-swift
# then: PROTOC_GEN_SWIFT=/path/to/.build/release/protoc-gen-swift scripts/generate-protos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${PROTOC_GEN_SWIFT:?set PROTOC_GEN_SWIFT to the protoc-gen-swift binary}"
# Each format's generated code lives in its own folder, beside the code that reads it.
for pair in loki_push:Loki otlp_logs:OTLP; do
    protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal --swift_opt=FileNaming=DropPath \
        --swift_out="Sources/KeelWire/Ingest/Formats/${pair##*:}" -I Protos -I /usr/include "Protos/${pair%%:*}.proto"
done
