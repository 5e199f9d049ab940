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
///
/// The lines added are copied one after the other into `text`, and every value is a span of it: building a block
/// takes no reference to any line, which (one per value, some 80,000 a block) had cost more than taking them apart.
struct ColumnSet {
    /// The lines added (bar those kept whole), one after the other.
    private var text: [UInt8] = []
    /// Each key's text as written between its quotes, by id in first-seen order: spans of `keyText` (compared with
    /// every member of every line, so read without taking a reference to an array of each).
    private var keyText: [UInt8] = []
    private var keys: [Range<Int>] = []
    /// Whether each key holds an escape, by id.
    private var keyEscapes: [Bool] = []
    private var keyIDs: [Bytes: Int] = [:]
    /// The id of the `timestamp` key, once seen.
    private var timestampID: Int?
    /// Each shape (the key ids of a line, in order), by id from 1; shape 0 is a line kept whole.
    private var shapes: [[Int]] = []
    private var shapeIDs: [[Int]: Int] = [:]
    private var rowShapes: [Int] = []
    /// Each key's values, by key id.
    private var values: [ColumnValues] = []
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

    /// How many rows the block will have: each column is made with room for a value a row.
    private var expectedRows = 0

    /// Columns with room for `rows` lines of `bytes` bytes in all, so that none of their arrays grows (and is copied)
    /// while the block is built.
    init(rows: Int = 0, bytes: Int = 0) {
        expectedRows = rows
        text.reserveCapacity(bytes)
        rowShapes.reserveCapacity(rows)
    }

    /// Adds a row: its `line` and its time.
    mutating func add(line: UnsafeBufferPointer<UInt8>, timestamp: Int64) {
        // The members are found into the set's own buffer, taken out meanwhile.
        var found: [JSONReader.Member] = []
        swap(&found, &members)
        found.removeAll(keepingCapacity: true)
        // Most lines have the shape of the line before them: matched against it, they need no parse.
        let previous = rowShapes.last ?? 0
        let shape = previous > 0 ? shapes[previous - 1] : []
        let matched = !shape.isEmpty && keyText.withUnsafeBufferPointer { text in
            ShapeMatch.members(
                of: line, keys: { (UnsafeBufferPointer(rebasing: text[keys[shape[$0]]]), keyEscapes[shape[$0]]) }, count: shape.count,
                into: &found)
        }
        let parsed = matched || (try? JSONReader.members(of: line, maxDepth: 128, into: &found)) != nil
        swap(&found, &members)
        guard parsed, matched || Self.rebuilds(line, members) else {
            rowShapes.append(0)
            verbatim.append(Array(line))
            filter.add(line: line, timestamp: timestamp)
            return
        }
        let base = text.count
        text.append(contentsOf: line)
        add(members: line, base: base, timestamp: timestamp, shapeOfPrevious: matched)
    }

    /// Files the values of `line`'s members (`members`), which lie at `base` in `text`, under their keys.
    /// `shapeOfPrevious`: the members were matched against the previous line's shape (``ShapeMatch``), so their keys
    /// are that shape's and need no looking up.
    private mutating func add(members line: UnsafeBufferPointer<UInt8>, base: Int, timestamp: Int64, shapeOfPrevious: Bool) {
        shape.removeAll(keepingCapacity: true)
        // Lines of a block mostly share their shape: the previous line's key at each position is tried before the
        // dictionary of keys, and its shape before the dictionary of shapes.
        let previous = rowShapes.last ?? 0
        let previousShape = previous > 0 ? shapes[previous - 1] : []
        for position in members.indices {
            let member = members[position]
            let key = UnsafeBufferPointer(rebasing: line[member.key])
            var id = position < previousShape.count ? previousShape[position] : -1
            if !shapeOfPrevious, id < 0 || !isKey(id, key) {
                let text = Bytes(Array(key)[...])
                if let known = keyIDs[text] {
                    id = known
                } else {
                    id = keys.count
                    keyIDs[text] = id
                    keys.append(keyText.count..<keyText.count + key.count)
                    keyEscapes.append(member.keyEscaped)
                    keyText.append(contentsOf: key)
                    values.append(ColumnValues(capacity: expectedRows))
                    roles.append(FilterBuilder.Role(key: key))
                    if key.elementsEqual(Self.timestampKey) { timestampID = id }
                }
            }
            if !shapeOfPrevious { shape.append(id) }
            if let role = roles[id], member.kind == .string, !member.keyEscaped {
                filter.add(role, value: member.value, escaped: member.valueEscaped, of: line, timestamp: timestamp)
            }
            text.withUnsafeBufferPointer { values[id].append(base + member.value.lowerBound..<base + member.value.upperBound, of: $0) }
            if id == timestampID, timestampsAreRowTimes {
                timestampsAreRowTimes = rowTimes.matches(UnsafeBufferPointer(rebasing: line[member.value]), timestamp)
            }
        }
        if shapeOfPrevious || previous > 0 && shape == previousShape {
            rowShapes.append(previous)
        } else if let known = shapeIDs[shape] {
            rowShapes.append(known)
        } else {
            shapes.append(shape)
            shapeIDs[shape] = shapes.count
            rowShapes.append(shapes.count)
        }
    }

    /// Whether key `id` is `key`.
    private func isKey(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        keyText.withUnsafeBufferPointer { ByteSearch.equal(UnsafeBufferPointer(rebasing: $0[keys[id]]), key) }
    }

    /// Whether `{"key":value,…}` from `members` is `line` exactly (a compact line, as Keel writes them).
    private static func rebuilds(_ line: UnsafeBufferPointer<UInt8>, _ members: [JSONReader.Member]) -> Bool {
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

    /// The block's payload, for rows of times `timestamps` and arrival numbers `seqs` (in the order they were added).
    func payload(timestamps: [Int64], seqs: [Int64]) -> [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(text.count + 64 * timestamps.count)
        out.deltas(timestamps)
        out.deltas(seqs)
        out.uvarint(keys.count)
        for key in keys { out.data(keyText[key]) }
        out.uvarint(shapes.count)
        for shape in shapes {
            out.uvarint(shape.count)
            for id in shape { out.uvarint(id) }
        }
        for shape in rowShapes { out.uvarint(shape) }
        text.withUnsafeBufferPointer { text in
            for (id, column) in values.enumerated() {
                Self.write(column, of: text, asRowTimes: timestampsAreRowTimes && id == timestampID, to: &out)
            }
        }
        for line in verbatim { out.data(line) }
        return out.bytes
    }

    /// One column, its values spans of `text`; `asRowTimes` when it is the `timestamp` column and every value is its
    /// row's time.
    private static func write(_ column: ColumnValues, of text: UnsafeBufferPointer<UInt8>, asRowTimes: Bool, to out: inout ByteWriter) {
        func bytes(_ span: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: text[span]) }
        if asRowTimes {
            out.bytes.append(ColumnEncoding.rowTime.rawValue)
        } else if column.isPlain {
            out.bytes.append(ColumnEncoding.plain.rawValue)
            for span in column.spans { out.uvarint(span.count) }
            for span in column.spans { out.bytes.append(contentsOf: bytes(span)) }
        } else if column.distinct.count == 1 {
            out.bytes.append(ColumnEncoding.constant.rawValue)
            out.data(bytes(column.distinct[0]))
        } else {
            out.bytes.append(ColumnEncoding.dictionary.rawValue)
            out.uvarint(column.distinct.count)
            for span in column.distinct { out.data(bytes(span)) }
            out.bytes += column.indexes
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

    func hash(into hasher: inout Hasher) { hasher.combine(slice.withUnsafeBufferPointer { Self.digest($0) }) }

    static func == (a: Bytes, b: Bytes) -> Bool { a.slice.elementsEqual(b.slice) }

    /// Bytes' length and their first and last eight bytes, mixed into one word without a hasher: what a key hashes
    /// by, and a key for a dictionary of words.
    static func digest(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let raw = UnsafeRawBufferPointer(bytes)
        var first: UInt64 = 0
        var last: UInt64 = 0
        if raw.count >= 8 {
            first = raw.loadUnaligned(as: UInt64.self)
            last = raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self)
        } else {
            for (index, byte) in raw.enumerated() { first |= UInt64(byte) << (8 * UInt64(index)) }
        }
        var mixed = UInt64(truncatingIfNeeded: raw.count) &* 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ first) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 31) ^ last) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 29)
    }
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
    mutating func matches(_ value: UnsafeBufferPointer<UInt8>, _ microseconds: Int64) -> Bool {
        guard value.count == 29 else { return false }
        var text = scratch
        scratch = []
        defer { scratch = text }
        text.removeAll(keepingCapacity: true)
        append(microseconds, to: &text)
        return text.withUnsafeBufferPointer { memcmp(value.baseAddress!, $0.baseAddress!, 29) == 0 }
    }
}
