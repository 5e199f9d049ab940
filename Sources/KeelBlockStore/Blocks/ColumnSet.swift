#if canImport(Glibc)
import Glibc
#endif
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
    /// The line being added's shape, made in the same room each time.
    private var shape: [Int] = []
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
        shape.removeAll(keepingCapacity: true)
        // Lines of a block mostly share their shape: the previous line's key at each position is tried before the
        // dictionary of keys, and its shape before the dictionary of shapes.
        let previous = rowShapes.last.flatMap { $0 > 0 ? shapes[$0 - 1] : nil } ?? []
        for (position, member) in members.enumerated() {
            let key = Bytes(row.line[member.key])
            let id: Int
            if position < previous.count, Self.same(keys[previous[position]], key.slice) {
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

    /// Whether `a` and `b` hold the same bytes (`memcmp`).
    private static func same(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
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
        try BlockColumns(payload, count: count).rows { _ in true }
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
    /// A time's text, to compare a value with (made again for each, in the same room).
    private var scratch: [UInt8] = []

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

    /// Whether `byte` may be part of a row time's text (bar its quotes and colons).
    static func mayHold(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "T") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "Z")
    }

    /// Whether `value` is the text of `microseconds`.
    mutating func matches(_ value: ArraySlice<UInt8>, _ microseconds: Int64) -> Bool {
        guard value.count == 29 else { return false }
        var text = scratch
        scratch = []
        defer { scratch = text }
        text.removeAll(keepingCapacity: true)
        append(microseconds, to: &text)
        return text.withUnsafeBufferPointer { text in
            value.withUnsafeBufferPointer { memcmp($0.baseAddress!, text.baseAddress!, 29) == 0 }
        }
    }
}
