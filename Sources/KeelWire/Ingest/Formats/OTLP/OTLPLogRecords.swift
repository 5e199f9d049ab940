import Foundation
import Keel
import Logging
import SwiftProtobuf

/// `POST /v1/logs`: OTLP/HTTP logs, as OpenTelemetry SDKs and the Collector send them — protobuf
/// (`application/x-protobuf`, their default) or JSON (`application/json`, OTLP's JSON mapping: ids in hex, 64-bit
/// integers as strings, camelCase or snake_case names).
///
/// A record's attributes come first, then its resource's (`service.name` → `service` …) where the record has not set
/// the same key. A string body is the message; a key-value body is read like a JSON line; trace and span ids are
/// written in hex; `severity_text`, else `severity_number`, gives the level.
enum OTLPLogRecords {
    /// One log record, whichever encoding it came in.
    struct Record {
        var time: UInt64 = 0
        var observedTime: UInt64 = 0
        var severityNumber = 0
        var severityText = ""
        var body: JSONValue?
        var attributes: [(key: String, value: JSONValue)] = []
        var resource: [(key: String, value: JSONValue)] = []
        var traceID = ""
        var spanID = ""
        var eventName = ""
        /// What the event id is derived from when the record has none.
        var identity: [UInt8] = []
        var place = RecordPlace(number: 0)
        /// Why the decoder could not read the record, if it could not (its time out of range).
        var refusal: IngestError?
    }

    static func protobufRecords(_ body: [UInt8], limits: IngestLimits) throws(IngestError) -> DecodedRecords {
        let request: Opentelemetry_Proto_Logs_V1_ExportLogsServiceRequest
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = limits.maxDepth
            request = try .init(serializedBytes: body, options: options)
        } catch {
            throw .badRequest("invalid_protobuf", "the body is not an ExportLogsServiceRequest: \(error)")
        }
        var decoded = DecodedRecords()
        for resourceLogs in request.resourceLogs {
            let resource = resourceLogs.resource.attributes.map { ($0.key, json($0.value)) }
            for scopeLogs in resourceLogs.scopeLogs {
                for log in scopeLogs.logRecords {
                    var record = Record()
                    record.place = decoded.nextPlace()
                    try limits.check(eventCount: decoded.count)
                    record.time = log.timeUnixNano
                    record.observedTime = log.observedTimeUnixNano
                    record.severityNumber = Int(log.severityNumber)
                    record.severityText = log.severityText
                    record.body = log.hasBody ? json(log.body) : nil
                    record.attributes = log.attributes.map { ($0.key, json($0.value)) }
                    record.resource = resource
                    record.traceID = Hex.lowercase(log.traceID)
                    record.spanID = Hex.lowercase(log.spanID)
                    record.eventName = log.eventName
                    record.identity = (try? log.serializedBytes()) ?? []
                    add(record, limits: limits, to: &decoded)
                }
            }
        }
        return decoded
    }

    static func jsonRecords(_ body: [UInt8], limits: IngestLimits) throws(IngestError) -> DecodedRecords {
        let invalid = IngestError.badRequest("invalid_otlp", "an OTLP JSON body is {\"resourceLogs\": [...]}")
        guard case .object(let root) = try JSONBody.parse(body, limits: limits, what: "the OTLP body") else { throw invalid }
        var decoded = DecodedRecords()
        for resourceLogs in member(root, "resourceLogs", "resource_logs")?.arrayValue ?? [] {
            guard case .object(let rl) = resourceLogs else { throw invalid }
            let resource = attributes(member(member(rl, "resource")?.objectValue ?? [], "attributes"))
            for scopeLogs in member(rl, "scopeLogs", "scope_logs")?.arrayValue ?? [] {
                for log in member(scopeLogs.objectValue ?? [], "logRecords", "log_records")?.arrayValue ?? [] {
                    guard case .object(let fields) = log else { throw invalid }
                    var record = Record()
                    record.place = decoded.nextPlace()
                    try limits.check(eventCount: decoded.count)
                    for (name, snake) in [("timeUnixNano", "time_unix_nano"), ("observedTimeUnixNano", "observed_time_unix_nano")] {
                        let value = member(fields, name, snake)
                        guard let nanoseconds = unsigned(value) else {
                            let text = value?.stringValue ?? value?.jsonText ?? ""
                            record.refusal = .badRequest("invalid_timestamp", "\(name) \(text.prefix(40)) is not a Unix time in nanoseconds")
                            break
                        }
                        if name == "timeUnixNano" { record.time = nanoseconds } else { record.observedTime = nanoseconds }
                    }
                    // Severity numbers are 0–24; anything else sent is clamped, never trapped on.
                    record.severityNumber = Int(clamping: unsigned(member(fields, "severityNumber", "severity_number")) ?? 0)
                    record.severityText = member(fields, "severityText", "severity_text")?.stringValue ?? ""
                    record.body = member(fields, "body").map(anyValue)
                    record.attributes = attributes(member(fields, "attributes"))
                    record.resource = resource
                    record.traceID = hexID(member(fields, "traceId", "trace_id")?.stringValue ?? "")
                    record.spanID = hexID(member(fields, "spanId", "span_id")?.stringValue ?? "")
                    record.eventName = member(fields, "eventName", "event_name")?.stringValue ?? ""
                    record.identity = Array(log.jsonText.utf8)
                    add(record, limits: limits, to: &decoded)
                }
            }
        }
        return decoded
    }

    /// The record as an incoming record, or its refusal.
    private static func add(_ record: Record, limits: IngestLimits, to decoded: inout DecodedRecords) {
        do throws(IngestError) {
            if let refusal = record.refusal { throw refusal }
            decoded.records.append(try incoming(record, limits: limits))
        } catch {
            decoded.refused.append(RecordRefusal(record.place, error))
        }
    }

    /// A trace or span id as sent in OTLP JSON: hex (the mapping's rule) is written in lower case; anything else
    /// (base64 from a misconfigured exporter, say) is kept exactly as sent rather than corrupted.
    static func hexID(_ text: String) -> String {
        Hex.isHexadecimal(text) ? text.lowercased() : text
    }

    /// The record as canonical-schema members.
    static func incoming(_ record: Record, limits: IngestLimits) throws(IngestError) -> IncomingRecord {
        var members: [(key: String, value: JSONValue)] = []
        switch record.body {
        case .object(let fields)?: members += fields
        case .string(let text)?: members.append(("message", .string(text)))
        case let other?: members.append(("message", .string(other.jsonText)))
        case nil: break
        }
        if let message = members.first(where: { $0.key == "message" })?.value.stringValue,
            message.utf8.count > limits.maxLineBytes
        {
            throw .tooLarge("line_too_long", "the log body is \(message.utf8.count) bytes; the limit is \(limits.maxLineBytes)")
        }
        members += record.attributes
        if !record.severityText.isEmpty {
            members.append(("severity_text", .string(record.severityText)))
        } else if record.severityNumber > 0 {
            members.append(("severity_text", .string(level(record.severityNumber))))
        }
        if !record.traceID.isEmpty { members.append(("trace_id", .string(record.traceID))) }
        if !record.spanID.isEmpty { members.append(("span_id", .string(record.spanID))) }
        if !record.eventName.isEmpty { members.append(("event", .string(record.eventName))) }
        let present = Set(members.map(\.key))
        for (key, value) in record.resource where !present.contains(key) { members.append((key, value)) }
        let nanoseconds = record.time != 0 ? record.time : record.observedTime
        return IncomingRecord(
            members: members, envelopeTimestamp: nanoseconds == 0 ? nil : Int64(nanoseconds / 1000),
            identity: record.identity, place: record.place)
    }

    /// The name of an OTLP severity number (``Logging/Logger/Level/init(otelSeverity:)``).
    static func level(_ number: Int) -> String { Logger.Level(otelSeverity: number).canonicalName }

    // MARK: protobuf values

    static func json(_ value: Opentelemetry_Proto_Logs_V1_AnyValue) -> JSONValue {
        switch value.value {
        case .stringValue(let s)?: .string(s)
        case .boolValue(let b)?: .bool(b)
        case .intValue(let i)?: .number(String(i))
        case .doubleValue(let d)?: d.isFinite ? .number(String(d)) : .string(String(d))
        case .arrayValue(let a)?: .array(a.values.map(json))
        case .kvlistValue(let list)?: .object(list.values.map { ($0.key, json($0.value)) })
        case .bytesValue(let data)?: .string(data.base64EncodedString())
        case nil: .null
        }
    }


    // MARK: JSON values

    private static func member(_ object: [(key: String, value: JSONValue)], _ names: String...) -> JSONValue? {
        for name in names { if let found = object.first(where: { $0.key == name }) { return found.value } }
        return nil
    }

    /// 64-bit integers are strings in OTLP JSON; plain numbers (`1.7e18` too) are accepted. Absent is 0; a value
    /// that is not a whole number from 0 to 2^64 − 1 (`1e20`, `-5`, `"x"`) is `nil`.
    static func unsigned(_ value: JSONValue?) -> UInt64? {
        let text: String
        switch value {
        case nil, .null?: return 0
        case .string(let s)?: text = s
        case .number(let n)?: text = n
        default: return nil
        }
        if let exact = UInt64(text) { return exact }
        // `UInt64(exactly:)` is nil for fractions, negatives, infinities and anything past 2^64.
        return Double(text).flatMap { UInt64(exactly: $0) }
    }

    private static func attributes(_ value: JSONValue?) -> [(key: String, value: JSONValue)] {
        (value?.arrayValue ?? []).compactMap { pair in
            guard let fields = pair.objectValue, let key = member(fields, "key")?.stringValue else { return nil }
            return (key, member(fields, "value").map(anyValue) ?? .null)
        }
    }

    private static func anyValue(_ value: JSONValue) -> JSONValue {
        guard let fields = value.objectValue, let (key, inner) = fields.first else { return value }
        switch key {
        case "stringValue", "string_value", "boolValue", "bool_value", "doubleValue", "double_value": return inner
        case "intValue", "int_value": return inner.stringValue.map { Int64($0) != nil ? .number($0) : inner } ?? inner
        case "bytesValue", "bytes_value": return inner
        case "arrayValue", "array_value":
            return .array((inner.objectValue.flatMap { member($0, "values") }?.arrayValue ?? []).map(anyValue))
        case "kvlistValue", "kvlist_value":
            return .object(attributes(inner.objectValue.flatMap { member($0, "values") }))
        default: return value
        }
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var objectValue: [(key: String, value: JSONValue)]? { if case .object(let o) = self { o } else { nil } }
}
