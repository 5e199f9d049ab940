package import Keel

/// `POST /v1/events`: one JSON object per line (Keel's own lines, or any structured logger's). Lines are handed on
/// as slices of the body; the normaliser reads (and validates) each one. A line over the size limit is refused alone.
enum NDJSONRecords {
    static func records(_ body: [UInt8], limits: IngestLimits) throws(IngestError) -> DecodedRecords {
        var decoded = DecodedRecords()
        var start = 0
        var number = 0
        var count = 0
        while start < body.count {
            let end = lineEnd(in: body, from: start)
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

    /// Where the line that starts at `start` ends: its newline, or the body's end. Found with `memchr`, not a byte at
    /// a time: every ingested byte passes here.
    private static func lineEnd(in body: [UInt8], from start: Int) -> Int {
        body.withUnsafeBufferPointer { $0.next(0x0A, from: start) }
    }
}
