import Keel

/// How one column's values are written: the cheapest form they allow.
enum ColumnEncoding: UInt8 {
    /// Every value is the same: written once (`service`, `env`, `schema_version` in most blocks).
    case constant = 0
    /// At most 256 distinct values: each written once, then one byte per value (`level`, `route`, `status`).
    case dictionary = 1
    /// Anything else: each value's length, then all of their bytes (ids, messages).
    case plain = 2
    /// `timestamp`, when every value is the row's own time in the canonical form: nothing at all.
    case rowTime = 3
}

/// A block's columns: built from rows by ``add(_:)`` and written by ``payload(_:)``, or read back into rows by
/// ``rows(_:count:)``.
struct ColumnSet {
    /// Each key's text as written between its quotes, by id in first-seen order.
    private var keys: [[UInt8]] = []
    private var keyIDs: [Bytes: Int] = [:]
    /// The id of the `timestamp` key, once seen.
    private var timestampID: Int?
    /// Each shape (the key ids of a line, in order), by id from 1; shape 0 is a line kept whole.
    private var shapes: [[Int]] = []
    private var shapeIDs: [[Int]: Int] = [:]
    private var rowShapes: [Int] = []
    /// Each key's values (their JSON text as written), in row order.
    private var values: [[ArraySlice<UInt8>]] = []
    private var verbatim: [[UInt8]] = []
    /// Whether every `timestamp` value so far is its row's time in the canonical form.
    private var timestampsAreRowTimes = true
    private var members: [JSONReader.Member] = []
    private var rowTimes = RowTimeText()
    /// What each key is to the block's filter (`nil`: nothing), by key id.
    private var roles: [FilterBuilder.Role?] = []
    /// The block's filter, gathered from the same parse.
    private(set) var filter = FilterBuilder()

    static let timestampKey = Array("timestamp".utf8)

    mutating func add(_ row: EventBlock.Row) {
        members.removeAll(keepingCapacity: true)
        let parsed = row.line.withUnsafeBufferPointer { bytes in
            (try? JSONReader.members(of: bytes, maxDepth: 128, into: &members)) != nil
        }
        guard parsed, Self.rebuilds(row.line, members) else {
            rowShapes.append(0)
            verbatim.append(row.line)
            filter.add(line: row)
            return
        }
        var shape: [Int] = []
        shape.reserveCapacity(members.count)
        // Lines of a block mostly share their shape: the previous line's key at each position is tried before the
        // dictionary of keys, and its shape before the dictionary of shapes.
        let previous = rowShapes.last.flatMap { $0 > 0 ? shapes[$0 - 1] : nil } ?? []
        for (position, member) in members.enumerated() {
            let key = Bytes(row.line[member.key])
            let id: Int
            if position < previous.count, keys[previous[position]].elementsEqual(key.slice) {
                id = previous[position]
            } else if let known = keyIDs[key] {
                id = known
            } else {
                id = keys.count
                keyIDs[key] = id
                keys.append(Array(key.slice))
                values.append([])
                roles.append(FilterBuilder.Role(key: key.slice))
                if key.slice.elementsEqual(Self.timestampKey) { timestampID = id }
            }
            shape.append(id)
            if let role = roles[id], member.kind == .string, !member.keyEscaped {
                filter.add(role, value: member.value, of: row.line, timestamp: row.timestamp)
            }
            let value = row.line[member.value]
            values[id].append(value)
            if id == timestampID, timestampsAreRowTimes { timestampsAreRowTimes = rowTimes.matches(value, row.timestamp) }
        }
        if shape == previous, let last = rowShapes.last, last > 0 {
            rowShapes.append(last)
        } else if let known = shapeIDs[shape] {
            rowShapes.append(known)
        } else {
            shapes.append(shape)
            shapeIDs[shape] = shapes.count
            rowShapes.append(shapes.count)
        }
    }

    /// Whether `{"key":value,…}` from `members` is `line` exactly (a compact line, as Keel writes them).
    private static func rebuilds(_ line: [UInt8], _ members: [JSONReader.Member]) -> Bool {
        guard line.first == UInt8(ascii: "{"), line.last == UInt8(ascii: "}") else { return false }
        var at = 1
        for (index, member) in members.enumerated() {
            // `"key":value`, then `,` or the closing brace.
            guard member.key.lowerBound == at + 1, line[at] == UInt8(ascii: "\""), line[member.key.upperBound] == UInt8(ascii: "\""),
                member.value.lowerBound == member.key.upperBound + 2, line[member.key.upperBound + 1] == UInt8(ascii: ":")
            else { return false }
            at = member.value.upperBound
            if index < members.count - 1 {
                guard line[at] == UInt8(ascii: ",") else { return false }
                at += 1
            }
        }
        return at == line.count - 1
    }

    /// `"<RFC 3339 time>"`, as the canonical schema writes a row's time.
    static func rowTime(_ microseconds: Int64) -> [UInt8] {
        Array(("\"" + Timestamp(microsecondsSinceEpoch: microseconds).description + "\"").utf8)
    }

    // MARK: Writing

    func payload(_ rows: [EventBlock.Row]) -> [UInt8] {
        var out = ByteWriter()
        out.deltas(rows.map(\.timestamp))
        out.deltas(rows.map(\.seq))
        out.uvarint(keys.count)
        for key in keys { out.data(key) }
        out.uvarint(shapes.count)
        for shape in shapes {
            out.uvarint(shape.count)
            for id in shape { out.uvarint(id) }
        }
        for shape in rowShapes { out.uvarint(shape) }
        for (id, column) in values.enumerated() { write(column, isTimestamp: keys[id] == Self.timestampKey, to: &out) }
        for line in verbatim { out.data(line) }
        return out.bytes
    }

    private func write(_ column: [ArraySlice<UInt8>], isTimestamp: Bool, to out: inout ByteWriter) {
        if isTimestamp, timestampsAreRowTimes {
            out.bytes.append(ColumnEncoding.rowTime.rawValue)
            return
        }
        // Each value's place among the distinct values, in one pass; a value equal to the one before is not looked
        // up (runs are common: a constant, a level).
        var distinct: [Bytes: Int] = [:]
        var order: [ArraySlice<UInt8>] = []
        var indexes: [UInt8] = []
        indexes.reserveCapacity(column.count)
        for (row, value) in column.enumerated() {
            if row > 0, value.elementsEqual(column[row - 1]) {
                indexes.append(indexes[row - 1])
                continue
            }
            let key = Bytes(value)
            if let known = distinct[key] {
                indexes.append(UInt8(known))
                continue
            }
            guard order.count < 256 else {
                order.append(value)
                break
            }
            distinct[key] = order.count
            indexes.append(UInt8(order.count))
            order.append(value)
        }
        if order.count == 1 {
            out.bytes.append(ColumnEncoding.constant.rawValue)
            out.data(order[0])
        } else if order.count <= 256 {
            out.bytes.append(ColumnEncoding.dictionary.rawValue)
            out.uvarint(order.count)
            for value in order { out.data(value) }
            out.bytes += indexes
        } else {
            out.bytes.append(ColumnEncoding.plain.rawValue)
            for value in column { out.uvarint(value.count) }
            for value in column { out.bytes.append(contentsOf: value) }
        }
    }

    // MARK: Reading

    /// The `count` rows that `payload` holds.
    static func rows(_ payload: [UInt8], count: Int) throws(BlockError) -> [EventBlock.Row] {
        try Columns(payload, count: count).rows { _ in true }
    }

    /// The rows of `payload` whose top-level `key` may be `value` (the JSON text of a string: its bytes are compared
    /// with the column's; a value written with escapes is taken too, for the caller to check): what an id lookup
    /// reads of a block, without rebuilding the other lines.
    static func rows(_ payload: [UInt8], count: Int, where key: String, is value: String) throws(BlockError) -> [EventBlock.Row] {
        let columns = try Columns(payload, count: count)
        guard let id = columns.keys.firstIndex(where: { payload[$0].elementsEqual(key.utf8) }) else {
            return try columns.rows { columns.rowShapes[$0] == 0 }
        }
        let quoted = Array(("\"" + value + "\"").utf8)
        var wanted = [Bool](repeating: false, count: count)
        var next = 0
        for (row, shape) in columns.rowShapes.enumerated() {
            if shape == 0 {
                wanted[row] = true
                continue
            }
            for member in columns.shapes[shape] where member == id {
                let text = payload[columns.columns[id][next]]
                next += 1
                if text.elementsEqual(quoted) || text.contains(0x5C) { wanted[row] = true }
            }
        }
        return try columns.rows { wanted[$0] }
    }

    /// A block's payload taken apart: each row's time, arrival and shape, and where each column's values lie.
    private struct Columns {
        let payload: [UInt8]
        let times: [Int64]
        let seqs: [Int64]
        let keys: [Range<Int>]
        let shapes: [[Int]]
        let rowShapes: [Int]
        let columns: [[Range<Int>]]
        let verbatim: [Range<Int>]

        init(_ payload: [UInt8], count: Int) throws(BlockError) {
            self.payload = payload
            var reader = ByteReader(payload)
            times = try reader.deltas(count: count)
            seqs = try reader.deltas(count: count)
            let keyCount = try reader.count(atMost: payload.count)
            var keys: [Range<Int>] = []
            for _ in 0..<keyCount { keys.append(try reader.data()) }
            let shapeCount = try reader.count(atMost: payload.count)
            var shapes: [[Int]] = [[]]
            for _ in 0..<shapeCount {
                let length = try reader.count(atMost: payload.count)
                var shape: [Int] = []
                for _ in 0..<length { shape.append(try reader.count(atMost: keyCount - 1)) }
                shapes.append(shape)
            }
            var rowShapes: [Int] = []
            var occurrences = [Int](repeating: 0, count: keyCount)
            var verbatimCount = 0
            for _ in 0..<count {
                let shape = try reader.count(atMost: shapeCount)
                rowShapes.append(shape)
                if shape == 0 { verbatimCount += 1 }
                for id in shapes[shape] { occurrences[id] += 1 }
            }
            var columns: [[Range<Int>]] = []
            for id in 0..<keyCount {
                columns.append(try readColumn(&reader, count: occurrences[id], isTimestamp: payload[keys[id]].elementsEqual(timestampKey)))
            }
            var verbatim: [Range<Int>] = []
            for _ in 0..<verbatimCount { verbatim.append(try reader.data()) }
            guard reader.isAtEnd else { throw .corrupt("\(payload.count - reader.offset) bytes after the last column") }
            self.keys = keys
            self.shapes = shapes
            self.rowShapes = rowShapes
            self.columns = columns
            self.verbatim = verbatim
        }

        /// The rows `wanted` picks (by index), rebuilt, in order.
        func rows(_ wanted: (Int) -> Bool) throws(BlockError) -> [EventBlock.Row] {
            // Rebuilding lines is what a read of a block costs, so what repeats is made once: each key's `"key":`
            // (and `,"key":`), whether it is the time, and room for a line as long as the previous one.
            let slots = keys.map { FieldSpans.slot(ofKey: payload[$0]) }
            let isTime = keys.map { payload[$0].elementsEqual(timestampKey) }
            let first = keys.map { [UInt8(ascii: "{"), UInt8(ascii: "\"")] + payload[$0] + [UInt8(ascii: "\""), UInt8(ascii: ":")] }
            let later = keys.map { [UInt8(ascii: ","), UInt8(ascii: "\"")] + payload[$0] + [UInt8(ascii: "\""), UInt8(ascii: ":")] }
            var rows: [EventBlock.Row] = []
            var next = [Int](repeating: 0, count: keys.count)
            var rowTimes = RowTimeText()
            var nextVerbatim = 0
            var length = 64
            for (index, shape) in rowShapes.enumerated() {
                if shape == 0 {
                    if wanted(index) { rows.append(EventBlock.Row(timestamp: times[index], line: Array(payload[verbatim[nextVerbatim]]), seq: seqs[index])) }
                    nextVerbatim += 1
                    continue
                }
                guard wanted(index) else {
                    for id in shapes[shape] { next[id] += 1 }
                    continue
                }
                var line: [UInt8] = []
                line.reserveCapacity(length + 32)
                var fields = FieldSpans(recording: ())
                for (position, id) in shapes[shape].enumerated() {
                    line.append(contentsOf: position == 0 ? first[id] : later[id])
                    let range = columns[id][next[id]]
                    next[id] += 1
                    // An empty range in a row-time column stands for the row's own time.
                    if range.isEmpty, isTime[id] {
                        rowTimes.append(times[index], to: &line)
                    } else {
                        if let slot = slots[id], range.count >= 2, payload[range.lowerBound] == UInt8(ascii: "\"") {
                            fields.set(slot, (line.count + 1)..<(line.count + range.count - 1))
                        }
                        line.append(contentsOf: payload[range])
                    }
                }
                if shapes[shape].isEmpty { line.append(UInt8(ascii: "{")) }
                line.append(UInt8(ascii: "}"))
                length = line.count
                rows.append(EventBlock.Row(timestamp: times[index], line: line, seq: seqs[index], fields: fields))
            }
            return rows
        }
    }

    /// The ranges of a column's `count` values in the payload (empty ranges for row times).
    private static func readColumn(_ reader: inout ByteReader, count: Int, isTimestamp: Bool) throws(BlockError) -> [Range<Int>] {
        guard let encoding = ColumnEncoding(rawValue: try reader.byte()) else { throw .corrupt("an unknown column encoding") }
        switch encoding {
        case .rowTime:
            guard isTimestamp else { throw .corrupt("row times in a column that is not `timestamp`") }
            return Array(repeating: 0..<0, count: count)
        case .constant:
            let value = try reader.data()
            guard !value.isEmpty else { throw .corrupt("an empty value") }
            return Array(repeating: value, count: count)
        case .dictionary:
            let size = try reader.count(atMost: 256)
            var dictionary: [Range<Int>] = []
            for _ in 0..<size { dictionary.append(try reader.data()) }
            var out: [Range<Int>] = []
            out.reserveCapacity(count)
            for _ in 0..<count {
                let index = Int(try reader.byte())
                guard index < dictionary.count, !dictionary[index].isEmpty else { throw .corrupt("a dictionary index past its values") }
                out.append(dictionary[index])
            }
            return out
        case .plain:
            var lengths: [Int] = []
            lengths.reserveCapacity(count)
            for _ in 0..<count { lengths.append(try reader.count(atMost: reader.bytes.count)) }
            var out: [Range<Int>] = []
            out.reserveCapacity(count)
            for length in lengths {
                guard length > 0, reader.bytes.count - reader.offset >= length else { throw .corrupt("a value runs past the end") }
                out.append(reader.offset..<(reader.offset + length))
                try reader.skip(length)
            }
            return out
        }
    }
}

/// Bytes of a block's text as a dictionary key. It hashes only its length and its first and last eight bytes
/// (equal keys still compare whole): hashing every byte of every key and value was most of encoding a block, and
/// the keys and values of log lines differ at their ends (`status`/`service`, `req-00017`/`req-00018`).
struct Bytes: Hashable {
    let slice: ArraySlice<UInt8>

    init(_ slice: ArraySlice<UInt8>) { self.slice = slice }

    func hash(into hasher: inout Hasher) {
        slice.withUnsafeBytes { raw in
            hasher.combine(raw.count)
            guard raw.count >= 8 else {
                var word: UInt64 = 0
                for (index, byte) in raw.enumerated() { word |= UInt64(byte) << (8 * UInt64(index)) }
                hasher.combine(word)
                return
            }
            hasher.combine(raw.loadUnaligned(as: UInt64.self))
            hasher.combine(raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self))
        }
    }

    static func == (a: Bytes, b: Bytes) -> Bool { a.slice.elementsEqual(b.slice) }
}

/// `"<RFC 3339 time>"` of row times, as the canonical schema writes them, made once per second: rows come in time
/// order, so each second's text is reused for all its rows and only the microseconds are written.
struct RowTimeText {
    private var second: Int64?
    /// `"2026-11-23T00:00:00.` for `second`.
    private var prefix: [UInt8] = []

    mutating func append(_ microseconds: Int64, to out: inout [UInt8]) {
        let (quotient, remainder) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let second = remainder < 0 ? quotient - 1 : quotient
        let fraction = remainder < 0 ? remainder + 1_000_000 : remainder
        if second != self.second {
            // The whole text of the second's first microsecond, less its `000000Z"`.
            let whole = ColumnSet.rowTime(microseconds &- fraction)
            prefix = Array(whole.dropLast(8))
            self.second = second
        }
        out.append(contentsOf: prefix)
        var divisor: Int64 = 100_000
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction / divisor % 10))
            divisor /= 10
        }
        out.append(UInt8(ascii: "Z"))
        out.append(UInt8(ascii: "\""))
    }

    /// Whether `value` is the text of `microseconds`.
    mutating func matches(_ value: ArraySlice<UInt8>, _ microseconds: Int64) -> Bool {
        guard value.count == 29 else { return false }
        var text: [UInt8] = []
        text.reserveCapacity(29)
        append(microseconds, to: &text)
        return value.elementsEqual(text)
    }
}
