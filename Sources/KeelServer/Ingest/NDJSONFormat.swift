import Keel

/// `POST /v1/events`: one JSON object per line (Keel's own lines, or any structured logger's). Lines are handed on
/// as slices of the body; the normaliser reads (and validates) each one.
enum NDJSONFormat {
    static func records(_ body: [UInt8], limits: IngestLimits) throws(IngestError) -> [IncomingRecord] {
        var records: [IncomingRecord] = []
        var start = 0
        var number = 0
        while start < body.count {
            let end = body[start...].firstIndex(of: 0x0A) ?? body.count
            number += 1
            defer { start = end + 1 }
            var line = body[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            guard line.count <= limits.maxLineBytes else {
                throw .tooLarge("line_too_long", "line \(number) is \(line.count) bytes; the limit is \(limits.maxLineBytes)")
            }
            records.append(IncomingRecord(object: line, identity: line, line: number))
            try limits.check(eventCount: records.count)
        }
        return records
    }
}

/// Parsing JSON from a request: invalid UTF-8, invalid JSON and too deep nesting are refused with a 400 that says
/// where.
enum JSONBody {
    static func parse(_ bytes: [UInt8], limits: IngestLimits, what: String) throws(IngestError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes, options: .init(maxDepth: limits.maxDepth, repairUTF8: false))
        } catch {
            let reason =
                error.reason.contains("UTF-8") || error.reason.contains("surrogate") ? "invalid_utf8"
                : error.reason.contains("nesting") ? "too_deep" : "invalid_json"
            throw .badRequest(reason, "\(what): \(error.description)")
        }
    }

    static func object(_ bytes: [UInt8], limits: IngestLimits, what: String) throws(IngestError) -> [(key: String, value: JSONValue)] {
        guard case .object(let members) = try parse(bytes, limits: limits, what: what) else {
            throw .badRequest("not_an_object", "\(what) is not a JSON object")
        }
        return members
    }
}
