import Keel
import SwiftProtobuf

/// `POST /loki/api/v1/push`: Grafana Loki's push API, so Promtail, Grafana Alloy and Loki client libraries send to
/// Keel unchanged. JSON (`{"streams":[{"stream":{…},"values":[["<ns>","<line>",{…}]]}]}`) or protobuf
/// (`logproto.PushRequest`, snappy-compressed).
///
/// A line that is a JSON object (a Keel line shipped by Promtail, say) is read as one; any other line is the message.
/// Stream labels and structured metadata are added where the line does not set the same key, so `level` or
/// `service_name` labels land in their canonical fields and the rest (`job`, `filename` …) under `context`.
///
/// A body that is not a push request is refused whole; an entry that cannot be read (its shape, its time, its line's
/// size, its stream's labels) is refused alone, and the rest is stored.
enum LokiPushRecords {
    struct Entry {
        var place: RecordPlace
        var nanoseconds: Int64
        var line: String
        var metadata: [(key: String, value: String)]
    }

    static func jsonRecords(_ body: [UInt8], limits: IngestLimits) throws(IngestError) -> DecodedRecords {
        guard case .object(let root) = try JSONBody.parse(body, limits: limits, what: "the push body"),
            case .array(let streams)? = root.first(where: { $0.key == "streams" })?.value
        else { throw .badRequest("invalid_push", "a Loki push body is {\"streams\": [...]}") }
        var decoded = DecodedRecords()
        for (index, stream) in streams.enumerated() {
            guard case .object(let members) = stream else { throw .badRequest("invalid_push", "stream \(index) is not an object") }
            guard case .array(let values)? = members.first(where: { $0.key == "values" })?.value else {
                throw .badRequest("invalid_push", "stream \(index) has no \"values\"")
            }
            var labels: [(key: String, value: String)] = []
            var labelError: IngestError?
            if case .object(let pairs)? = members.first(where: { $0.key == "stream" })?.value {
                for (name, value) in pairs {
                    guard let text = value.stringValue else {
                        labelError = .badRequest("invalid_labels", "stream \(index): label \(name.prefix(64)) is not a string")
                        break
                    }
                    labels.append((name, text))
                }
            }
            var entries: [Entry] = []
            for value in values {
                let place = decoded.nextPlace()
                try limits.check(eventCount: decoded.count)
                guard case .array(let parts) = value, parts.count >= 2, let time = parts[0].stringValue,
                    let line = parts[1].stringValue
                else {
                    decoded.refused.append(
                        RecordRefusal(place, .badRequest("invalid_push", "stream \(index): an entry is [\"<unix ns>\", \"<line>\", {metadata}]")))
                    continue
                }
                guard let nanoseconds = Int64(time) else {
                    decoded.refused.append(
                        RecordRefusal(place, .badRequest("invalid_timestamp", "stream \(index): \(time.prefix(40)) is not a Unix time in nanoseconds")))
                    continue
                }
                var metadata: [(key: String, value: String)] = []
                if parts.count > 2, case .object(let pairs) = parts[2] {
                    for (name, value) in pairs { metadata.append((name, value.stringValue ?? value.jsonText)) }
                }
                entries.append(Entry(place: place, nanoseconds: nanoseconds, line: line, metadata: metadata))
            }
            streamRecords(labels: labels, labelError: labelError, entries: entries, limits: limits, stream: index, into: &decoded)
        }
        return decoded
    }

    static func protobufRecords(_ body: [UInt8], limits: IngestLimits) throws(IngestError) -> DecodedRecords {
        let request: Logproto_PushRequest
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = limits.maxDepth
            request = try Logproto_PushRequest(serializedBytes: body, options: options)
        } catch {
            throw .badRequest("invalid_protobuf", "the body is not a logproto.PushRequest: \(error)")
        }
        var decoded = DecodedRecords()
        for (index, stream) in request.streams.enumerated() {
            var labelError: IngestError?
            var labels: [(key: String, value: String)] = []
            do { labels = try LabelSet.parse(stream.labels, stream: index) } catch { labelError = error }
            var entries: [Entry] = []
            for entry in stream.entries {
                let place = decoded.nextPlace()
                try limits.check(eventCount: decoded.count)
                // A timestamp's seconds are any Int64 on the wire: one flipped bit must not overflow.
                let (scaled, overflow) = entry.timestamp.seconds.multipliedReportingOverflow(by: 1_000_000_000)
                let (nanoseconds, overflowAgain) = scaled.addingReportingOverflow(Int64(entry.timestamp.nanos))
                guard !overflow, !overflowAgain else {
                    decoded.refused.append(
                        RecordRefusal(
                            place,
                            .badRequest("invalid_timestamp", "stream \(index): a timestamp of \(entry.timestamp.seconds) s is out of range")))
                    continue
                }
                entries.append(
                    Entry(place: place, nanoseconds: nanoseconds, line: entry.line, metadata: entry.structuredMetadata.map { ($0.name, $0.value) }))
            }
            streamRecords(labels: labels, labelError: labelError, entries: entries, limits: limits, stream: index, into: &decoded)
        }
        return decoded
    }

    /// The records of one stream's entries; a stream whose labels are refused has each of its entries refused.
    private static func streamRecords(
        labels: [(key: String, value: String)], labelError: IngestError?, entries: [Entry], limits: IngestLimits, stream: Int,
        into decoded: inout DecodedRecords
    ) {
        var labelError = labelError
        if labelError == nil {
            do { try checkLabels(labels, limits: limits, stream: stream) } catch { labelError = error }
        }
        let labelText = labels.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        decoded.records.reserveCapacity(decoded.records.count + entries.count)
        for entry in entries {
            do throws(IngestError) {
                if let labelError { throw labelError }
                try checkLabels(entry.metadata, limits: limits, stream: stream)
                guard entry.line.utf8.count <= limits.maxLineBytes else {
                    throw .tooLarge("line_too_long", "stream \(stream): the line is \(entry.line.utf8.count) bytes; the limit is \(limits.maxLineBytes)")
                }
            } catch {
                decoded.refused.append(RecordRefusal(entry.place, error))
                continue
            }
            var members: [(key: String, value: JSONValue)]
            if entry.line.utf8.first == UInt8(ascii: "{"),
                case .object(let parsed)? = try? JSONParser.parse(entry.line, options: .init(maxDepth: limits.maxDepth))
            {
                members = parsed
            } else {
                members = [("message", .string(entry.line))]
            }
            let present = Set(members.map(\.key))
            for (key, value) in labels + entry.metadata where !present.contains(key) { members.append((key, .string(value))) }
            // Loki's own rule: the same line at the same time in the same stream is one entry.
            var identity = Array(labelText.utf8)
            identity += Array("\u{0}\(entry.nanoseconds)\u{0}".utf8)
            identity += Array(entry.line.utf8)
            decoded.records.append(
                IncomingRecord(members: members, envelopeTimestamp: entry.nanoseconds / 1000, identity: identity, place: entry.place))
        }
    }

    private static func checkLabels(_ labels: [(key: String, value: String)], limits: IngestLimits, stream: Int) throws(IngestError) {
        guard labels.count <= limits.maxLabels else {
            throw .badRequest("too_many_labels", "stream \(stream) has \(labels.count) labels; the limit is \(limits.maxLabels)")
        }
        for (name, value) in labels {
            guard !name.isEmpty, name.utf8.count <= limits.maxLabelNameBytes else {
                throw .badRequest("invalid_labels", "stream \(stream): a label name is empty or longer than \(limits.maxLabelNameBytes) bytes")
            }
            guard value.utf8.count <= limits.maxLabelValueBytes else {
                throw .badRequest("invalid_labels", "stream \(stream): label \(name.prefix(64)) is longer than \(limits.maxLabelValueBytes) bytes")
            }
        }
    }
}

/// A Prometheus-style label set as Loki's protobuf streams carry it: `{app="api", env="prod"}`.
enum LabelSet {
    static func parse(_ text: String, stream: Int) throws(IngestError) -> [(key: String, value: String)] {
        let invalid = IngestError.badRequest("invalid_labels", "stream \(stream): labels are {name=\"value\", …}, got \(text.prefix(80))")
        var chars = Array(text.unicodeScalars)[...]
        func skipSpaces() { while chars.first == " " { chars = chars.dropFirst() } }
        skipSpaces()
        guard chars.popFirst() == "{" else { throw invalid }
        var labels: [(key: String, value: String)] = []
        while true {
            skipSpaces()
            if chars.first == "}" { break }
            var name = ""
            while let c = chars.first, c == "_" || c == "." || c.properties.isAlphabetic || ("0"..."9").contains(c) {
                name.unicodeScalars.append(c)
                chars = chars.dropFirst()
            }
            skipSpaces()
            guard !name.isEmpty, chars.popFirst() == "=" else { throw invalid }
            skipSpaces()
            guard chars.popFirst() == "\"" else { throw invalid }
            var value = ""
            while true {
                guard let c = chars.popFirst() else { throw invalid }
                if c == "\"" { break }
                if c == "\\" {
                    guard let escaped = chars.popFirst() else { throw invalid }
                    value.unicodeScalars.append(escaped == "n" ? "\n" : escaped)
                } else {
                    value.unicodeScalars.append(c)
                }
            }
            labels.append((name, value))
            skipSpaces()
            if chars.first == "," { chars = chars.dropFirst() }
        }
        return labels
    }
}
