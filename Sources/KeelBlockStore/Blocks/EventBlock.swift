import Keel

/// An immutable block of events in time order, stored as columns: one per top-level field of the canonical lines,
/// each written the cheapest way its values allow (``ColumnEncoding``), and all of them compressed as one zstd
/// frame. Lines come back byte for byte as they went in.
///
/// A line is taken apart into its members, in order (its "shape": which keys, in which order). Rebuilding
/// `{"key":value,…}` from the shape and the values' text must give the line back exactly; a line for which it would
/// not (whitespace between tokens, say) is kept whole instead.
///
/// Row times and arrival numbers are kept as zigzag deltas.
///
/// Layout: `KBLK`, a version byte, the row count, the payload's size, the first and last timestamps (so that a
/// reader can skip a block by its header alone), the compressed payload's length, a CRC-32 of all of these and the
/// payload, then the payload. A block that has been changed in any way fails its checksum: it is reported, never
/// misread.
package enum EventBlock {
    package static let maximumRows = 65_536
    /// The most a payload may hold, decompressed: a header that claims more is corrupt, not an allocation.
    static let maximumPayload = 256 << 20
    static let magic: [UInt8] = Array("KBLK".utf8)
    /// The most bytes a header takes: the magic, the version, three counts and two times as varints, and its CRC.
    static let longestHeader = 4 + 1 + 5 + 5 + 10 + 10 + 5 + 4
    static let version: UInt8 = 1

    package struct Row: Equatable, Sendable, Source {
        /// Microseconds since the epoch: what the store sorts and filters by.
        package var timestamp: Int64
        package var line: [UInt8]
        /// The event's place in its tenant's arrival order (0 when the writer has none to give).
        package var seq: Int64
        /// Where the texts of the line's message and ids lie in `line`, when the block knew (a decoded row that was
        /// rebuilt from columns): a text search reads only the message, an id lookup compares only the id.
        package var fields: FieldSpans

        package init(timestamp: Int64, line: [UInt8], seq: Int64 = 0, fields: FieldSpans = FieldSpans()) {
            self.timestamp = timestamp
            self.line = line
            self.seq = seq
            self.fields = fields
        }

        /// Rows are the same event when their time, line and arrival are; where its fields lie is a hint.
        package static func == (a: Row, b: Row) -> Bool { a.timestamp == b.timestamp && a.line == b.line && a.seq == b.seq }

        package func withLine<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T { try line.withUnsafeBufferPointer(body) }
    }

    /// What a block is made of: rows read back from blocks, or the head's records. (A head's lines are the strings
    /// ingest made: a block reads their bytes where they are.)
    package protocol Source {
        /// Microseconds since the epoch.
        var timestamp: Int64 { get }
        /// The event's place in its tenant's arrival order.
        var seq: Int64 { get }
        /// Calls `body` with the line's bytes.
        func withLine<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T
    }

    /// What a block's header says, read without decompressing it.
    package struct Header: Equatable {
        package var rows: Int
        package var first: Int64
        package var last: Int64
    }

    // MARK: Writing

    /// `rows` (1 to ``maximumRows``, in the order they are to be read back) as one block.
    package static func encode(_ rows: [some Source]) throws(BlockError) -> [UInt8] { try encodeWithFilter(rows).block }

    /// `rows` as one block, and the block's filter, made from the same parse of each line.
    package static func encodeWithFilter(_ rows: [some Source]) throws(BlockError) -> (block: [UInt8], filter: BlockFilter) {
        guard !rows.isEmpty, rows.count <= maximumRows else {
            throw .invalidInput("a block holds 1 to \(maximumRows) events, not \(rows.count)")
        }
        var columns = ColumnSet(rows: rows.count, bytes: rows.reduce(0) { total, row in total + row.withLine(\.count) })
        for row in rows { row.withLine { columns.add(line: $0, timestamp: row.timestamp) } }
        let payload = columns.payload(timestamps: rows.map(\.timestamp), seqs: rows.map(\.seq))
        guard payload.count <= maximumPayload else { throw .invalidInput("\(payload.count) bytes of columns is over the limit of \(maximumPayload)") }
        let compressed = try Zstd.compress(payload)
        var header = ByteWriter()
        header.bytes = magic
        header.bytes.append(version)
        header.uvarint(rows.count)
        header.uvarint(payload.count)
        header.varint(rows.map(\.timestamp).min()!)
        header.varint(rows.map(\.timestamp).max()!)
        header.uvarint(compressed.count)
        header.uint32(checksum(header.bytes[...], compressed[...]))
        return (header.bytes + compressed, columns.filter.filter())
    }

    // MARK: Reading

    /// The header of `block`, checked for shape but not against its checksum (``decode(_:)`` checks that). `block`
    /// may be the block's first bytes only, when `length` says how long the whole block is.
    package static func header(_ block: [UInt8], length: Int? = nil) throws(BlockError) -> Header {
        var reader = ByteReader(block)
        return try readHeader(&reader, length: length ?? block.count).header
    }

    /// The rows of `block`, as they were written.
    package static func decode(_ block: [UInt8]) throws(BlockError) -> [Row] {
        try columns(of: block).rows { _ in true }
    }

    /// The columns of `block`, taken apart but no line rebuilt: what a read picks rows and members from.
    package static func columns(of block: [UInt8]) throws(BlockError) -> BlockColumns {
        let (payload, rows) = try payload(of: block)
        return try BlockColumns(payload, count: rows)
    }

    /// The decompressed payload of `block` and its row count, checked against the block's checksum.
    private static func payload(of block: [UInt8]) throws(BlockError) -> (payload: [UInt8], rows: Int) {
        var reader = ByteReader(block)
        let (header, size, compressedLength) = try readHeader(&reader, length: block.count)
        let checked = reader.offset
        let recorded = try reader.uint32()
        guard block.count - reader.offset == compressedLength else { throw .corrupt("the payload is \(block.count - reader.offset) bytes, not \(compressedLength)") }
        let payload = block[reader.offset...]
        guard checksum(block[..<checked], payload) == recorded else { throw .corrupt("the checksum does not match") }
        return (try Zstd.decompress(payload, size: size), header.rows)
    }

    /// The rows of a block's payload (its columns, decompressed), read without the header and its checksum: what the
    /// fuzz target drives, as if damaged columns had come with a checksum that matched.
    package static func rows(ofPayload payload: [UInt8], count: Int) throws(BlockError) -> [Row] {
        guard count > 0, count <= maximumRows else { throw .corrupt("a block of \(count) rows") }
        return try ColumnSet.rows(payload, count: count)
    }

    private static func readHeader(_ reader: inout ByteReader, length: Int) throws(BlockError) -> (header: Header, size: Int, compressedLength: Int) {
        for byte in magic { guard try reader.byte() == byte else { throw .corrupt("not a Keel block") } }
        let version = try reader.byte()
        guard version == Self.version else { throw .corrupt("block version \(version); this keel reads version \(Self.version)") }
        let rows = try reader.count(atMost: maximumRows)
        guard rows > 0 else { throw .corrupt("a block of no rows") }
        let size = try reader.count(atMost: maximumPayload)
        let first = try reader.varint()
        let last = try reader.varint()
        let compressedLength = try reader.count(atMost: length)
        return (Header(rows: rows, first: first, last: last), size, compressedLength)
    }

    /// CRC-32 (zlib's) of `parts`, one after the other.

}
