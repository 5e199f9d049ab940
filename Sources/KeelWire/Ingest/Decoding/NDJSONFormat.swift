package import Keel

/// `POST /v1/events`: one JSON object per line (Keel's own lines, or any structured logger's). Lines are handed on
/// as slices of the body; the normaliser reads (and validates) each one. A line over the size limit is refused alone.
enum NDJSONFormat {
    static func records(_ body: [UInt8], limits: IngestLimits) throws(IngestError) -> DecodedRecords {
        var decoded = DecodedRecords()
        var start = 0
        var number = 0
        var count = 0
        while start < body.count {
            let end = body[start...].firstIndex(of: 0x0A) ?? body.count
            number += 1
            defer { start = end + 1 }
            var line = body[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            count += 1
            try limits.check(eventCount: count)
            guard line.count <= limits.maxLineBytes else {
                decoded.refused.append(
                    RecordRefusal(.line(number), .tooLarge("line_too_long", "the line is \(line.count) bytes; the limit is \(limits.maxLineBytes)")))
                continue
            }
            decoded.records.append(IncomingRecord(object: line, identity: line, place: .line(number)))
        }
        return decoded
    }
}

/// Parsing JSON from a request: invalid UTF-8, invalid JSON and too deep nesting are refused with a 400 that says
/// where.
package enum JSONBody {
    package static func parse(_ bytes: [UInt8], limits: IngestLimits, what: String) throws(IngestError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes, options: .init(maxDepth: limits.maxDepth, repairUTF8: false))
        } catch {
            let reason =
                error.reason.contains("UTF-8") || error.reason.contains("surrogate") ? "invalid_utf8"
                : error.reason.contains("nesting") ? "too_deep" : "invalid_json"
            throw .badRequest(reason, "\(what): \(error.description)")
        }
    }

    package static func object(_ bytes: [UInt8], limits: IngestLimits, what: String) throws(IngestError) -> [(key: String, value: JSONValue)] {
        guard case .object(let members) = try parse(bytes, limits: limits, what: what) else {
            throw .badRequest("not_an_object", "\(what) is not a JSON object")
        }
        return members
    }
}
