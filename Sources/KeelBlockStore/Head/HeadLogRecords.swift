
/// The records of a head's write-ahead log, as bytes: each is its length, a CRC-32 of its body, and the body (the
/// event's arrival number, its time, whether it ends its append, its line). Reading stops at the first record that
/// is cut short or fails its checksum — what a crash in the middle of a write leaves — and keeps only whole appends:
/// records after the last one that ends an append are dropped too, so an append is in the log whole or not at all.
/// It says how many bytes are sound, so the log is cut back there and appends go on after the last whole append.
package enum HeadLogRecords {
    package struct Record: Equatable, Sendable, EventBlock.Source {
        /// The event's place in its tenant's arrival order.
        package var seq: Int64
        /// Microseconds since the epoch.
        package var timestamp: Int64
        /// The canonical line, as ingest made it: kept as that string, whose bytes the log and a block read where
        /// they are (a copy of every line into an array had cost ingest more than its log's checksum).
        package var line: String

        package init(seq: Int64, timestamp: Int64, line: String) {
            self.seq = seq
            self.timestamp = timestamp
            self.line = line
        }

        package func withLine<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
            var line = line
            return try line.withUTF8(body)
        }

        /// The line's length in bytes.
        var length: Int { line.utf8.count }
    }

    /// A body longer than this is not a record this build wrote (a line is at most a few MiB).
    static let maximumBody = 64 << 20

    /// `records` as log bytes, appended to `out`: each body is written in place, after its length and room for its
    /// checksum, which is filled in once the body is there (every acknowledged event passes through here, so no
    /// record is put together in a buffer of its own).
    package static func append(_ records: [Record], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + records.reduce(0) { $0 + $1.length + 32 })
        var writer = ByteWriter()
        swap(&writer.bytes, &out)
        defer { swap(&writer.bytes, &out) }
        for (index, record) in records.enumerated() {
            // The body: the arrival number and the time as varints, whether the record ends its append, the line.
            let fields = ByteWriter.varintLength(record.seq) + ByteWriter.varintLength(record.timestamp) + 1
            writer.uvarint(fields + record.length)
            let sum = writer.bytes.count
            writer.uint32(0)
            let body = writer.bytes.count
            writer.varint(record.seq)
            writer.varint(record.timestamp)
            writer.bytes.append(index == records.count - 1 ? 1 : 0)
            record.withLine { writer.bytes.append(contentsOf: $0) }
            let value = checksum(writer.bytes[body...])
            for byte in 0..<4 { writer.bytes[sum + byte] = UInt8(truncatingIfNeeded: value >> UInt32(8 * byte)) }
        }
    }

    /// What reading `bytes` from the start gives: the records of whole appends, in order, and the length of the sound
    /// prefix they occupy (`bytes.count` when nothing was cut or damaged).
    package static func read(_ bytes: [UInt8]) -> (records: [Record], soundLength: Int) {
        var records: [Record] = []
        var reader = ByteReader(bytes)
        var sound = 0
        var whole = 0
        while !reader.isAtEnd {
            guard let length = try? reader.count(atMost: maximumBody), let sum = try? reader.uint32(),
                bytes.count - reader.offset >= length
            else { break }
            let body = bytes[reader.offset..<(reader.offset + length)]
            guard checksum(body) == sum else { break }
            var fields = ByteReader(Array(body))
            guard let seq = try? fields.varint(), let timestamp = try? fields.varint(), let ends = try? fields.byte(), ends <= 1 else { break }
            // The lines were strings when they were logged, and their bytes passed the checksum: valid UTF-8.
            records.append(Record(seq: seq, timestamp: timestamp, line: String(decoding: body.dropFirst(fields.offset), as: UTF8.self)))
            try? reader.skip(length)
            if ends == 1 {
                sound = reader.offset
                whole = records.count
            }
        }
        return (Array(records.prefix(whole)), sound)
    }


}
