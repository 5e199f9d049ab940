import Foundation
package import Keel
import Logging
import SwiftProtobuf

/// OTLP/HTTP logs as a shipper sends them (`POST /v1/logs`, `Content-Type: application/x-protobuf`): an
/// `ExportLogsServiceRequest` of Keel's canonical events. `service`, `env` and `version` are the resource's
/// `service.name`, `deployment.environment` and `service.version` (one resource per distinct three); `timestamp`,
/// `level` (severity number and text), `message` (the body), `trace_id` and `span_id` (bytes) are the record's own;
/// every other field is an attribute of its JSON type (objects as key-value lists). The counterpart of
/// ``OTLPLogsFormat``, which reads it.
package enum OTLPLogsEncoder {
    private static let resourceFields = [("service", "service.name"), ("env", "deployment.environment"), ("version", "service.version")]
    private static let recordFields: Set<String> = ["timestamp", "level", "message", "trace_id", "span_id", "service", "env", "version"]

    /// The protobuf body of `events` (canonical events, each a JSON object; anything else is sent as a body alone).
    package static func body(_ events: [JSONValue]) throws -> [UInt8] {
        var resources: [Opentelemetry_Proto_Logs_V1_ResourceLogs] = []
        var index: [[String]: Int] = [:]
        for event in events {
            let key = resourceFields.map { event[$0.0]?.stringValue ?? "" }
            let at: Int
            if let known = index[key] {
                at = known
            } else {
                var resource = Opentelemetry_Proto_Logs_V1_ResourceLogs()
                resource.resource.attributes = zip(resourceFields, key).compactMap { field, value in
                    value.isEmpty ? nil : attribute(field.1, .string(value))
                }
                resource.scopeLogs = [Opentelemetry_Proto_Logs_V1_ScopeLogs()]
                resource.scopeLogs[0].scope.name = "keel"
                at = resources.count
                index[key] = at
                resources.append(resource)
            }
            resources[at].scopeLogs[0].logRecords.append(record(event))
        }
        var request = Opentelemetry_Proto_Logs_V1_ExportLogsServiceRequest()
        request.resourceLogs = resources
        return try request.serializedBytes()
    }

    private static func record(_ event: JSONValue) -> Opentelemetry_Proto_Logs_V1_LogRecord {
        var record = Opentelemetry_Proto_Logs_V1_LogRecord()
        if let time = event["timestamp"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }), time.microsecondsSinceEpoch >= 0 {
            record.timeUnixNano = UInt64(time.microsecondsSinceEpoch) &* 1000
        }
        record.observedTimeUnixNano = record.timeUnixNano
        if let name = event["level"]?.stringValue, let level = Logger.Level(canonicalName: name) {
            record.severityText = level.canonicalName
            record.severityNumber = severity(level)
        }
        if case .object = event {
            record.body.stringValue = event["message"]?.stringValue ?? ""
        } else {
            record.body.stringValue = event.jsonText
        }
        if let id = event["trace_id"]?.stringValue.flatMap(bytes), id.count == 16 { record.traceID = Data(id) }
        if let id = event["span_id"]?.stringValue.flatMap(bytes), id.count == 8 { record.spanID = Data(id) }
        if case .object(let members) = event {
            record.attributes = members.filter { !recordFields.contains($0.key) }.map { attribute($0.key, $0.value) }
        }
        return record
    }

    /// OpenTelemetry's severity number of a level: the first of its range (INFO 9, WARN 13, ERROR 17 …).
    static func severity(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace: 1
        case .debug: 5
        case .info: 9
        case .notice: 10
        case .warning: 13
        case .error: 17
        case .critical: 21
        }
    }

    private static func attribute(_ key: String, _ value: JSONValue) -> Opentelemetry_Proto_Logs_V1_KeyValue {
        var pair = Opentelemetry_Proto_Logs_V1_KeyValue()
        pair.key = key
        pair.value = anyValue(value)
        return pair
    }

    private static func anyValue(_ value: JSONValue) -> Opentelemetry_Proto_Logs_V1_AnyValue {
        var out = Opentelemetry_Proto_Logs_V1_AnyValue()
        switch value {
        case .null: break
        case .bool(let flag): out.boolValue = flag
        case .string(let text): out.stringValue = text
        case .number(let text):
            if let whole = Int64(text) { out.intValue = whole } else { out.doubleValue = Double(text) ?? 0 }
        case .array(let items): out.arrayValue.values = items.map(anyValue)
        case .object(let members): out.kvlistValue.values = members.map { attribute($0.key, $0.value) }
        }
        return out
    }

    /// The bytes of a hexadecimal id, or `nil`.
    private static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0, Hex.isHexadecimal(hex) else { return nil }
        func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57 }
        return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
    }
}

extension OTLPLogsEncoder {
    /// What a collector's answer (`ExportLogsServiceResponse`, protobuf) says it refused: its `partial_success`, or
    /// `nil` when it took everything (or the answer is empty or not protobuf).
    package static func rejected(_ response: [UInt8]) -> (records: Int64, message: String)? {
        guard !response.isEmpty, let answer = try? Opentelemetry_Proto_Logs_V1_ExportLogsServiceResponse(serializedBytes: response),
            answer.hasPartialSuccess, answer.partialSuccess.rejectedLogRecords > 0
        else { return nil }
        return (answer.partialSuccess.rejectedLogRecords, answer.partialSuccess.errorMessage)
    }
}
