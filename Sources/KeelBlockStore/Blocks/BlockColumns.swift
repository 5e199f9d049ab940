import Keel
import KeelStore

/// A block's payload taken apart: each row's time, arrival and shape, and where each column's values lie. What the
/// store's cache keeps of a block, so that a read rebuilds only the lines it wants: an id lookup compares the id
/// column, a text search the message column, a line filter every column, and an aggregation reads the members it
/// needs without any line (``rows(where:)``, ``members(_:_:)``).
package struct BlockColumns: Sendable {
    private let payload: [UInt8]
    package let times: [Int64]
    package let seqs: [Int64]
    private let keys: [Range<Int>]
    private let rowShapes: [Int32]
    /// The shape of every row, when they all have the same one, none was kept whole and no key is in it twice: the
    /// common block, in which a key's `n`th value is row `n`'s, so a test's hits need not be followed through the
    /// rows' shapes.
    private let uniformShape: Int?
    private let layout: Layout
    /// How many values each column has: one per time its key is in a row.
    private let valueCounts: [Int]
    /// Each shape's key ids, in order, one shape after the other: shape `s`'s are
    /// `shapeMembers[shapeBounds[s]..<shapeBounds[s + 1]]`. Shape 0 (an empty one) is a line kept whole.
    private let shapeMembers: [Int32]
    private let shapeBounds: [Int32]
    private let verbatim: [Range<Int>]
    /// What it takes in memory, about.
    package let bytes: Int

    package var count: Int { times.count }

    /// Where every column's values lie, in flat arrays of numbers: the loops that rebuild lines look values up
    /// without an array per column to hold on to.
    private struct Layout: Sendable {
        var encodings: [ColumnEncoding] = []
        /// Per column: for a constant, its value's start; for a dictionary, where its values start in `values`;
        /// for a plain column, where its values' starts start in `starts`.
        var first: [Int32] = []
        /// Per column: for a constant, its value's end; for a dictionary, where its indexes (a byte per value)
        /// start in the payload.
        var second: [Int32] = []
        /// Per column: how many values its dictionary has (0 for other columns).
        var sizes: [Int32] = []
        /// The dictionaries' values, one after the other.
        var values: [Range<Int32>] = []
        /// The plain columns' values' starts, and after each column's, where its last value ends.
        var starts: [Int32] = []

        /// Occurrence `n` of column `id`'s range in `payload` (empty for a row time).
        @inline(__always)
        func range(_ id: Int, _ n: Int, _ payload: UnsafeBufferPointer<UInt8>) -> Range<Int> {
            switch encodings[id] {
            case .rowTime: return 0..<0
            case .constant: return Int(first[id])..<Int(second[id])
            case .dictionary:
                let value = values[Int(first[id]) + Int(payload[Int(second[id]) + n])]
                return Int(value.lowerBound)..<Int(value.upperBound)
            case .plain:
                let at = Int(first[id]) + n
                return Int(starts[at])..<Int(starts[at + 1])
            }
        }
    }

    /// `payload` (the decompressed columns of a block of `count` rows) taken apart; every count and range is
    /// checked, so a damaged payload fails with ``BlockError/corrupt(_:)``.
    package init(_ payload: [UInt8], count: Int) throws(BlockError) {
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
        let rowShapes = try reader.counts(count, atMost: shapeCount).map { Int32(truncatingIfNeeded: $0) }
        var rowsOfShape = [Int](repeating: 0, count: shapes.count)
        for shape in rowShapes { rowsOfShape[Int(shape)] += 1 }
        let verbatimCount = rowsOfShape[0]
        var occurrences = [Int](repeating: 0, count: keyCount)
        for (shape, rows) in rowsOfShape.enumerated() where rows > 0 {
            for id in shapes[shape] { occurrences[id] += rows }
        }
        var layout = Layout()
        var bytes = payload.count + 16 * count + 64 * keyCount
        for id in 0..<keyCount {
            try Self.readColumn(&reader, count: occurrences[id], isTimestamp: payload[keys[id]].elementsEqual(ColumnSet.timestampKey), into: &layout)
        }
        bytes += 4 * layout.starts.count + 8 * layout.values.count
        var verbatim: [Range<Int>] = []
        for _ in 0..<verbatimCount { verbatim.append(try reader.data()) }
        guard reader.isAtEnd else { throw .corrupt("\(payload.count - reader.offset) bytes after the last column") }
        self.keys = keys
        self.rowShapes = rowShapes
        uniformShape = rowShapes.first.flatMap { first in
            let shape = Int(first)
            return shape != 0 && rowsOfShape[shape] == count && Set(shapes[shape]).count == shapes[shape].count ? shape : nil
        }
        self.layout = layout
        valueCounts = occurrences
        shapeMembers = shapes.flatMap { $0.map { Int32(truncatingIfNeeded: $0) } }
        var bounds: [Int32] = [0]
        for shape in shapes { bounds.append(bounds.last! + Int32(truncatingIfNeeded: shape.count)) }
        shapeBounds = bounds
        self.verbatim = verbatim
        self.bytes = bytes
    }

    /// How many shapes there are (shape 0 included).
    private var shapeCount: Int { shapeBounds.count - 1 }

    /// Shape `shape`'s key ids, in order.
    private func keys(ofShape shape: Int) -> ArraySlice<Int32> {
        shapeMembers[Int(shapeBounds[shape])..<Int(shapeBounds[shape + 1])]
    }

    /// Whether `range` of `payload` holds a value as the encoder writes one: not empty, and with no space before or
    /// after it (which a line rebuilt around it would read past, so its members would not be the line's).
    private static func isBare(_ range: Range<Int>, in payload: [UInt8]) -> Bool {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        return !range.isEmpty && !isSpace(payload[range.lowerBound]) && !isSpace(payload[range.upperBound - 1])
    }

    private static func readColumn(_ reader: inout ByteReader, count: Int, isTimestamp: Bool, into layout: inout Layout) throws(BlockError) {
        guard let encoding = ColumnEncoding(rawValue: try reader.byte()) else { throw .corrupt("an unknown column encoding") }
        var first: Int32 = 0
        var second: Int32 = 0
        switch encoding {
        case .rowTime:
            guard isTimestamp else { throw .corrupt("row times in a column that is not `timestamp`") }
        case .constant:
            let value = try reader.data()
            guard Self.isBare(value, in: reader.bytes) else { throw .corrupt("a value that is empty or has space around it") }
            first = Int32(truncatingIfNeeded: value.lowerBound)
            second = Int32(truncatingIfNeeded: value.upperBound)
        case .dictionary:
            let size = try reader.count(atMost: 256)
            first = Int32(truncatingIfNeeded: layout.values.count)
            for _ in 0..<size {
                let value = try reader.data()
                guard Self.isBare(value, in: reader.bytes) else { throw .corrupt("a value that is empty or has space around it") }
                layout.values.append(Int32(truncatingIfNeeded: value.lowerBound)..<Int32(truncatingIfNeeded: value.upperBound))
            }
            second = Int32(truncatingIfNeeded: reader.offset)
            let indexes = try reader.data(length: count)
            // Every index must name one of the values (any byte does when there are 256).
            if size < 256, let largest = reader.bytes[indexes].max(), Int(largest) >= size {
                throw .corrupt("a dictionary index past its values")
            }
        case .plain:
            first = Int32(truncatingIfNeeded: layout.starts.count)
            let lengths = layout.starts.count
            // Each value's start, counted from the first value's (which follows the lengths), then moved there.
            let end = try reader.lengths(count, appendingStartsTo: &layout.starts)
            let start = reader.offset
            guard reader.bytes.count - start >= end else { throw .corrupt("a value runs past the end") }
            try reader.skip(end)
            let shift = Int32(truncatingIfNeeded: start)
            layout.starts.withUnsafeMutableBufferPointer { starts in
                for index in lengths..<starts.count { starts[index] &+= shift }
            }
            layout.starts.append(Int32(truncatingIfNeeded: start + end))
            for index in lengths..<(layout.starts.count - 1)
            where !Self.isBare(Int(layout.starts[index])..<Int(layout.starts[index + 1]), in: reader.bytes) {
                throw .corrupt("a value that has space around it")
            }
        }
        layout.encodings.append(encoding)
        layout.sizes.append(encoding == .dictionary ? Int32(truncatingIfNeeded: layout.values.count) - first : 0)
        layout.first.append(first)
        layout.second.append(second)
    }

    // MARK: Lines

    /// The rows `wanted` picks (by index), rebuilt, in order.
    package func rows(_ wanted: (Int) -> Bool) -> [EventBlock.Row] {
        payload.withUnsafeBufferPointer { payload in
            // Rebuilding lines is what a read of a block costs, so what repeats is made once: each key's `"key":`
            // (and `,"key":`), and room for a line as long as the previous one.
            let slots = keys.map { FieldSpans.slot(ofKey: payload[$0]) }
            let first = keys.map { [UInt8(ascii: "{"), UInt8(ascii: "\"")] + payload[$0] + [UInt8(ascii: "\""), UInt8(ascii: ":")] }
            let later = keys.map { [UInt8(ascii: ","), UInt8(ascii: "\"")] + payload[$0] + [UInt8(ascii: "\""), UInt8(ascii: ":")] }
            var rows: [EventBlock.Row] = []
            var next = [Int](repeating: 0, count: keys.count)
            // Rows passed over are counted by shape, and added to the keys' places only when a wanted row needs them.
            var skipped = [Int](repeating: 0, count: shapeCount)
            var touched: [Int] = []
            var rowTimes = RowTimeText()
            var nextVerbatim = 0
            var length = 64
            for index in 0..<count {
                let shape = Int(rowShapes[index])
                if shape == 0 {
                    if wanted(index) { rows.append(EventBlock.Row(timestamp: times[index], line: Array(payload[verbatim[nextVerbatim]]), seq: seqs[index])) }
                    nextVerbatim += 1
                    continue
                }
                guard wanted(index) else {
                    if skipped[shape] == 0 { touched.append(shape) }
                    skipped[shape] += 1
                    continue
                }
                for passed in touched {
                    for at in Int(shapeBounds[passed])..<Int(shapeBounds[passed + 1]) { next[Int(shapeMembers[at])] += skipped[passed] }
                    skipped[passed] = 0
                }
                touched.removeAll(keepingCapacity: true)
                var line: [UInt8] = []
                line.reserveCapacity(length + 32)
                var fields = FieldSpans(recording: ())
                let members = Int(shapeBounds[shape])..<Int(shapeBounds[shape + 1])
                for at in members {
                    let id = Int(shapeMembers[at])
                    line.append(contentsOf: at == members.lowerBound ? first[id] : later[id])
                    if layout.encodings[id] == .rowTime {
                        rowTimes.append(times[index], to: &line)
                    } else {
                        let range = layout.range(id, next[id], payload)
                        if let slot = slots[id], range.count >= 2, payload[range.lowerBound] == UInt8(ascii: "\"") {
                            fields.set(slot, (line.count + 1)..<(line.count + range.count - 1))
                        }
                        line.append(contentsOf: UnsafeBufferPointer(rebasing: payload[range]))
                    }
                    next[id] += 1
                }
                if members.isEmpty { line.append(UInt8(ascii: "{")) }
                line.append(UInt8(ascii: "}"))
                length = line.count
                rows.append(EventBlock.Row(timestamp: times[index], line: line, seq: seqs[index], fields: fields))
            }
            return rows
        }
    }

    // MARK: Picking rows

    /// What a row must have for a read to want it, tested on its columns' bytes before its line is built.
    package enum RowTest: Sendable {
        /// The top-level string `key` may be `value` (printable ASCII that no encoder escapes).
        case string(key: String, is: String)
        /// The `message` string may contain `text` (plain ASCII, lower-case), ignoring ASCII case.
        case messageContains([UInt8])
        /// The line contains these bytes as written, none of them `"`, `:`, `,`, `{` or `}`: then they lie within
        /// one key or one value, and only those need looking at.
        case lineContains([UInt8])

        /// Whether ``lineContains(_:)`` can test `bytes`.
        package static func canTestLine(for bytes: some Collection<UInt8>) -> Bool {
            !bytes.isEmpty && !bytes.contains { $0 == 0x22 || $0 == 0x3A || $0 == 0x2C || $0 == 0x7B || $0 == 0x7D }
        }
    }

    /// Which rows may pass every test (by index); the others surely do not. A row the block kept whole, and a value
    /// written with escapes (or, for text, with bytes beyond ASCII) is taken, for the reader to check its line.
    /// `nil` when the tests cannot be made on columns (a block with escaped keys).
    package func rows(where tests: [RowTest]) -> [Bool]? {
        payload.withUnsafeBufferPointer { payload -> [Bool]? in
            guard !keys.contains(where: { payload[$0].contains(0x5C) }) else { return nil }
            var wanted = uniformShape == nil ? rowShapes.map { $0 == 0 } : [Bool](repeating: false, count: count)
            var all = [Bool](repeating: true, count: count)
            for test in tests {
                let passing: [Bool]
                switch test {
                case .string(let key, let value):
                    let quoted = Array(("\"" + value + "\"").utf8)
                    // Each value compared: ids are much alike (`req-00…0417`), so searching a column's run for one
                    // stops at almost every value anyway. A value written with an escape may stand for the one sought
                    // (its line is then checked whole) only when it is longer: an escape is longer than what it
                    // stands for.
                    passing = rows(ofKey: key, payload) {
                        ByteSearch.equal($0, quoted) || $0.count > quoted.count && ByteSearch.holdsEscape($0)
                    }
                case .messageContains(let text):
                    passing = rows(ofKey: "message", payload) { value in
                        guard value.count >= 2, value[0] == UInt8(ascii: "\"") else { return false }
                        let content = UnsafeBufferPointer(rebasing: value[1..<(value.count - 1)])
                        return content.contains { $0 == 0x5C || $0 >= 0x80 } || ByteSearch.contains(content, text, foldingASCIICase: true)
                    }
                case .lineContains(let needle):
                    passing = rows(containing: needle, payload)
                }
                for index in 0..<count { all[index] = all[index] && passing[index] }
            }
            for index in 0..<count where all[index] { wanted[index] = true }
            return wanted
        }
    }

    /// Which occurrences of one column's key pass a test.
    private enum Hits {
        case none, every
        /// By occurrence.
        case some([Bool])
    }

    /// The rows with a value of `key` that passes `test`.
    private func rows(ofKey key: String, _ payload: UnsafeBufferPointer<UInt8>, _ test: (UnsafeBufferPointer<UInt8>) -> Bool) -> [Bool] {
        rows(passing: keys.indices.map { id in payload[keys[id]].elementsEqual(key.utf8) ? hits(id, payload, test) : .none })
    }

    /// The rows whose line holds `needle` (which ``RowTest/canTestLine(for:)``) within a key or a value.
    private func rows(containing needle: [UInt8], _ payload: UnsafeBufferPointer<UInt8>) -> [Bool] {
        rows(
            passing: keys.indices.map { id in
                let isTime = layout.encodings[id] == .rowTime
                // A key that holds it, or a row time that might: every row that has the key.
                if ByteSearch.contains(UnsafeBufferPointer(rebasing: payload[keys[id]]), needle) || (isTime && needle.allSatisfy(RowTimeText.mayHold)) {
                    return .every
                }
                if isTime { return .none }
                if layout.encodings[id] == .plain { return plainHits(id, containing: needle, payload) }
                return hits(id, payload) { ByteSearch.contains($0, needle) }
            })
    }

    /// Which values of plain column `id` hold `needle`. The column's values lie one after the other, so they are
    /// searched as one run of bytes, and each place found is kept if it lies within one value.
    private func plainHits(_ id: Int, containing needle: [UInt8], _ payload: UnsafeBufferPointer<UInt8>) -> Hits {
        let first = Int(layout.first[id])
        let count = valueCounts[id]
        let starts = layout.starts[first...(first + count)]
        let run = UnsafeBufferPointer(rebasing: payload[Int(starts.first!)..<Int(starts.last!)])
        var passes: [Bool]?
        ByteSearch.each(needle, in: run) { offset in
            let at = Int(starts.first!) + offset
            // The value the place starts in: the last whose start is at or before it.
            var low = first
            var high = first + count
            while high - low > 1 {
                let middle = (low + high) / 2
                if Int(starts[middle]) <= at { low = middle } else { high = middle }
            }
            if at + needle.count <= Int(starts[low + 1]) {
                if passes == nil { passes = [Bool](repeating: false, count: count) }
                passes![low - first] = true
            }
            return true
        }
        return passes.map { .some($0) } ?? .none
    }

    /// Which occurrences of key `id` have a value that passes `test`. Each distinct value of a constant or
    /// dictionary column is tested once.
    private func hits(_ id: Int, _ payload: UnsafeBufferPointer<UInt8>, _ test: (UnsafeBufferPointer<UInt8>) -> Bool) -> Hits {
        switch layout.encodings[id] {
        case .rowTime:
            return .every
        case .constant:
            return test(UnsafeBufferPointer(rebasing: payload[layout.range(id, 0, payload)])) ? .every : .none
        case .dictionary:
            let values = layout.values[Int(layout.first[id])..<Int(layout.first[id] + layout.sizes[id])]
            let passes = values.map { test(UnsafeBufferPointer(rebasing: payload[Int($0.lowerBound)..<Int($0.upperBound)])) }
            guard passes.contains(true) else { return .none }
            guard passes.contains(false) else { return .every }
            let indexes = Int(layout.second[id])
            return .some((0..<valueCounts[id]).map { passes[Int(payload[indexes + $0])] })
        case .plain:
            let passes = (0..<valueCounts[id]).map { test(UnsafeBufferPointer(rebasing: payload[layout.range(id, $0, payload)])) }
            return passes.contains(true) ? .some(passes) : .none
        }
    }

    /// The rows with an occurrence of some key that `hits` (by key id) says passes. Only the keys with some
    /// passing values are followed through the rows' shapes; a row whose shape has a key all of whose values pass
    /// passes.
    private func rows(passing hits: [Hits]) -> [Bool] {
        var passing = [Bool](repeating: false, count: count)
        // Per shape: whether it has a key that passes everywhere, and the keys to follow, flat.
        var every = [Bool](repeating: false, count: shapeCount)
        var followed: [Int32] = []
        var bounds: [Int32] = [0]
        // Each followed key's hits, flat: key `id`'s occurrence `n` is `flat[offsets[id] + n]`.
        var flat: [Bool] = []
        var offsets = [Int](repeating: 0, count: keys.count)
        for (id, hit) in hits.enumerated() {
            if case .some(let passes) = hit {
                offsets[id] = flat.count
                flat += passes
            }
        }
        for shape in 0..<shapeCount {
            for member in keys(ofShape: shape) {
                let id = Int(member)
                switch hits[id] {
                case .every: every[shape] = true
                case .some: followed.append(Int32(id))
                case .none: break
                }
            }
            bounds.append(Int32(followed.count))
        }
        guard every.contains(true) || !followed.isEmpty else { return passing }
        if let shape = uniformShape {
            if every[shape] { return [Bool](repeating: true, count: count) }
            // Occurrence `n` of every key is row `n`: a row passes when one of its keys' hits says so.
            for at in Int(bounds[shape])..<Int(bounds[shape + 1]) {
                guard case .some(let passes) = hits[Int(followed[at])] else { continue }
                if at == Int(bounds[shape]) {
                    passing = passes
                } else {
                    for index in 0..<count where passes[index] { passing[index] = true }
                }
            }
            return passing
        }
        var next = [Int](repeating: 0, count: keys.count)
        flat.withUnsafeBufferPointer { flat in
            followed.withUnsafeBufferPointer { followed in
                for index in 0..<count {
                    let shape = Int(rowShapes[index])
                    if every[shape] { passing[index] = true }
                    for at in Int(bounds[shape])..<Int(bounds[shape + 1]) {
                        let id = Int(followed[at])
                        if flat[offsets[id] + next[id]] { passing[index] = true }
                        next[id] += 1
                    }
                }
            }
        }
        return passing
    }

    // MARK: Members

    /// Hands `body` each row (by index, in order) with, for each of `names`, the JSON text of its last top-level
    /// member of that name (``MemberPicker``'s rule), lent for the call, until it returns `false`; returns whether
    /// it went to the end. No line is built; the lines the block kept whole are read.
    package func members(_ names: [String], _ body: (_ row: Int, _ members: [UnsafeBufferPointer<UInt8>?]) -> Bool) -> Bool {
        payload.withUnsafeBufferPointer { payload in
            var picker = MemberPicker(names)
            // Which name each key is (keys with escapes compared by their text), and what each shape picks: its
            // members of those keys, in order.
            let nameOfKey: [Int?] = keys.map { key in
                let text = UnsafeBufferPointer(rebasing: payload[key])
                return picker.names.firstIndex { MemberPicker.key(text, escaped: text.contains(0x5C), is: $0) }
            }
            let picks: [[(id: Int, name: Int)]] = (0..<shapeCount).map { shape in
                keys(ofShape: shape).compactMap { id in nameOfKey[Int(id)].map { (Int(id), $0) } }
            }
            var next = [Int](repeating: 0, count: keys.count)
            var picked = [UnsafeBufferPointer<UInt8>?](repeating: nil, count: names.count)
            var time: [UInt8] = []
            var rowTimes = RowTimeText()
            var nextVerbatim = 0
            for index in 0..<count {
                let shape = Int(rowShapes[index])
                if shape == 0 {
                    let line = UnsafeBufferPointer(rebasing: payload[verbatim[nextVerbatim]])
                    nextVerbatim += 1
                    guard picker.pick(line, { body(index, $0) }) else { return false }
                    continue
                }
                for slot in picked.indices { picked[slot] = nil }
                var timeName: Int?
                for (id, name) in picks[shape] {
                    if layout.encodings[id] == .rowTime {
                        timeName = name
                    } else {
                        picked[name] = UnsafeBufferPointer(rebasing: payload[layout.range(id, next[id], payload)])
                    }
                    next[id] += 1
                }
                if let timeName {
                    time.removeAll(keepingCapacity: true)
                    rowTimes.append(times[index], to: &time)
                    let going = time.withUnsafeBufferPointer { text in
                        picked[timeName] = text
                        return body(index, picked)
                    }
                    guard going else { return false }
                } else {
                    guard body(index, picked) else { return false }
                }
            }
            return true
        }
    }
}
