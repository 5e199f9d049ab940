import Foundation
import Keel
@testable import KeelBlockStore
import Testing

/// Blocks give back every line byte for byte, whatever it holds, and refuse any block that was changed.
struct EventBlockTests {
    static let day0: Int64 = 1_795_392_000_000_000  // 2026-11-23T00:00:00Z

    static func line(_ time: Int64, _ rest: String) -> [UInt8] {
        Array(#"{"timestamp":"\#(Timestamp(microsecondsSinceEpoch: time))",\#(rest)}"#.utf8)
    }

    /// A day's worth of varied lines: several shapes and services, nested context, numbers, booleans, null, arrays,
    /// escapes in keys and values, other scripts; and lines a block keeps whole.
    static func variedRows(_ count: Int) -> [EventBlock.Row] {
        var rows: [EventBlock.Row] = []
        for n in 0..<count {
            let time = day0 + Int64(n) * 1_234_567
            let level = ["INFO", "WARN", "ERROR", "DEBUG"][n % 4]
            let text: [UInt8]
            switch n % 9 {
            case 0: text = line(time, #""level":"\#(level)","message":"request handled","service":"api","status":200,"duration_ms":12.5,"request_id":"req-\#(n)""#)
            case 1: text = line(time, #""level":"\#(level)","message":"Zoë a payé 12 € — 東京","service":"billing","context":{"plan":"pro","seats":\#(n % 7),"tags":["a","b"]}"#)
            case 2: text = line(time, #""level":"\#(level)","message":"a \"quoted\" word\nand a new line\u0001","retryable":true,"error":null"#)
            case 3: text = line(time, #""level":"\#(level)","we\"ird key":"v","message":"escaped key""#)
            case 4: text = line(time + 1, #""level":"\#(level)","message":"a timestamp that is not the row's time""#)
            case 5: text = Array(#"{ "timestamp" : "2026-11-23T00:00:00.000000Z", "message": "spaces" }"#.utf8)
            case 6: text = Array("not JSON at all \(n)".utf8)
            case 7: text = Array(#"{"message":"same key","message":"twice","n":-0.5e-3}"#.utf8)
            default: text = Array("{}".utf8)
            }
            rows.append(EventBlock.Row(timestamp: time, line: text, seq: Int64(n * 3 + 1)))
        }
        return rows
    }

    @Test func linesComeBackByteForByte() throws {
        for count in [1, 2, 9, 100, 3_000] {
            let rows = Self.variedRows(count)
            let block = try EventBlock.encode(rows)
            #expect(try EventBlock.decode(block) == rows, "\(count) rows")
            let header = try EventBlock.header(block)
            #expect(header == EventBlock.Header(rows: count, first: rows.map(\.timestamp).min()!, last: rows.map(\.timestamp).max()!))
        }
    }

    /// A line matched against the keys of the line before it gives the members a parse gives, or gives up: over
    /// lines of every kind (escapes, nested values, literals, numbers, other scripts, spaces, damage), each matched
    /// against its own keys, another line's, and a prefix of its own.
    @Test func aShapeMatchFindsWhatAParseFindsOrGivesUp() {
        var lines = Self.variedRows(60).map(\.line)
        lines += [
            #"{"a":1,"b":-2.5e+3,"c":true,"d":false,"e":null,"f":"x"}"#, #"{"a":"q\"uote","b":1}"#, #"{"a":{"n":1},"b":[1]}"#, #"{"a":{"k":"v\"}","l":[{"m":null}]},"b":[1,"]"],"c":2}"#, #"{"a":{"n":1,},"b":1}"#,
            #"{"a":"","b":0}"#, #"{"a":1 ,"b":2}"#, #"{"a":1,"b":2} "#, #"{"a":1,"b":2"#, #"{"a":1,"b":"open}"#, #"{"a":tru,"b":1}"#,
            #"{"we\"ird":1,"b":2}"#, #"{"a":"東京","b":"é"}"#, #"{"a":1,"a":2}"#, "{}", #"{"":1}"#,
        ].map { Array($0.utf8) }
        func parse(_ line: [UInt8]) -> [JSONReader.Member]? {
            var members: [JSONReader.Member] = []
            return line.withUnsafeBufferPointer { (try? JSONReader.members(of: $0, maxDepth: 128, into: &members)) != nil } ? members : nil
        }
        func keys(_ line: [UInt8]) -> [[UInt8]] { (parse(line) ?? []).map { Array(line[$0.key]) } }
        var matchedOnce = false
        for (index, line) in lines.enumerated() {
            for wanted in [keys(line), keys(lines[(index + 1) % lines.count]), Array(keys(line).dropLast())] {
                var members: [JSONReader.Member] = [JSONReader.Member(key: 0..<0, value: 0..<0, kind: .null, keyEscaped: false, valueEscaped: false)]
                let matched = line.withUnsafeBufferPointer { bytes in
                    ShapeMatch.members(
                        of: bytes, keys: { wanted[$0].withUnsafeBufferPointer { ($0, ByteSearch.holdsEscape($0)) } }, count: wanted.count,
                        into: &members)
                }
                guard matched else {
                    #expect(members.count == 1, "gave up leaving what it found: \(String(decoding: line, as: UTF8.self))")
                    continue
                }
                matchedOnce = true
                let parsed = parse(line)
                #expect(parsed != nil, "matched a line that does not parse: \(String(decoding: line, as: UTF8.self))")
                let found = Array(members.dropFirst())
                #expect(found.map(\.key) == parsed?.map(\.key))
                #expect(found.map(\.value) == parsed?.map(\.value))
                #expect(found.map(\.kind) == parsed?.map(\.kind))
                #expect(found.map(\.keyEscaped) == parsed?.map(\.keyEscaped))
                #expect(found.map(\.valueEscaped) == parsed?.map(\.valueEscaped))
            }
        }
        #expect(matchedOnce)
    }

    @Test func aColumnOfManyValuesAndTimesOutOfOrderComeBack() throws {
        // Over 256 distinct values in a column (plain, not a dictionary), and rows not in time order.
        let rows = (0..<1_000).map { n in
            let time = Self.day0 + Int64((n * 7919) % 1_000) * 1_000_000 - 5_000_000_000
            return EventBlock.Row(timestamp: time, line: Self.line(time, #""message":"event \#(n)","n":\#(n),"user_id":"user_\#(n % 300)""#))
        }
        #expect(try EventBlock.decode(try EventBlock.encode(rows)) == rows)
    }

    @Test func aColumnOf256ValuesIsADictionaryAnd257ArePlain() throws {
        // Long values alike but for their middles (so that they compare equal at their ends), repeated out of order:
        // each comes back where it was, on either side of the dictionary's limit.
        func rows(distinct: Int) -> [EventBlock.Row] {
            (0..<4_000).map { n in
                let time = Self.day0 + Int64(n) * 1_000
                let value = "prefix-" + String((n * 7) % distinct) + "-" + String(repeating: "x", count: 40)
                return EventBlock.Row(timestamp: time, line: Self.line(time, #""message":"same","route":"\#(value)""#))
            }
        }
        let dictionary = rows(distinct: 256)
        let plain = rows(distinct: 257)
        let small = try EventBlock.encode(dictionary)
        let large = try EventBlock.encode(plain)
        #expect(try EventBlock.decode(small) == dictionary)
        #expect(try EventBlock.decode(large) == plain)
        // A dictionary writes each value once and a byte a row; plain columns write every value.
        func columnsSize(_ rows: [EventBlock.Row]) -> Int {
            var columns = ColumnSet(rows: rows.count)
            for row in rows { row.line.withUnsafeBufferPointer { columns.add(line: $0, timestamp: row.timestamp) } }
            return columns.payload(timestamps: rows.map(\.timestamp), seqs: rows.map(\.seq)).count
        }
        #expect(columnsSize(dictionary) < 4_000 * 10, "dictionary: \(columnsSize(dictionary))")
        #expect(columnsSize(plain) > 4_000 * 40, "plain: \(columnsSize(plain))")
    }

    @Test func aBlockIsSmallForLinesThatRepeatThemselves() throws {
        // W1's shape: one service, one route; a time, an event id and a request id that change every line.
        let rows = (0..<4_096).map { n in
            let time = Self.day0 + Int64(n) * 864_000
            return EventBlock.Row(
                timestamp: time,
                line: Self.line(
                    time,
                    #""level":"INFO","message":"request handled","event":"log","logger":"api","service":"api","host":"web-1","pid":4242,"schema_version":1,"event_id":"019ab2c0-\#(String(n, radix: 16))-7000-8000-\#(String(n, radix: 16))","storage_class":"ops","request_id":"\#(String(repeating: "0", count: 20))\#(100_000 + n)","tenant_id":"tenant-0","user_id":"user_789","route":"/v1/chat/completions","status":200,"duration_ms":12.5,"model":"gpt-4o-mini","tokens_prompt":512,"tokens_response":128,"retryable":false"#))
        }
        let block = try EventBlock.encode(rows)
        let lineBytes = rows.reduce(0) { $0 + $1.line.count }
        #expect(try EventBlock.decode(block) == rows)
        // About 2 bytes an event (from about 470): the columns of a line that repeats itself all but vanish.
        #expect(block.count / rows.count <= 4, "\(block.count / rows.count) bytes an event (lines: \(lineBytes / rows.count))")
    }

    @Test func everyChangedByteIsCaught() throws {
        let block = try EventBlock.encode(Self.variedRows(12))
        for index in block.indices {
            var damaged = block
            damaged[index] ^= 0x5A
            #expect(throws: BlockError.self, "byte \(index) changed") { try EventBlock.decode(damaged) }
        }
        for length in [0, 1, 4, 5, block.count / 2, block.count - 1] {
            #expect(throws: BlockError.self, "cut at \(length)") { try EventBlock.decode(Array(block.prefix(length))) }
        }
        #expect(throws: BlockError.self) { try EventBlock.decode(block + [0]) }
    }

    @Test func anyTimeComesBack() throws {
        // A block read from a damaged disk may hold any time: none may trap on the way out, or on the way in.
        let times: [Int64] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
        let rows = times.map { EventBlock.Row(timestamp: $0, line: Self.line($0, #""message":"edge""#)) }
        #expect(try EventBlock.decode(try EventBlock.encode(rows)) == rows)
    }

    @Test func theFuzzSeedsAreBlocksThisBuildReads() throws {
        // Tests/Fuzz/make-seeds.py writes them by hand (a raw zstd frame, the header, zlib's CRC-32): the format as
        // documented, read by this build.
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/Corpus/block")
        let expected = [
            EventBlock.Row(timestamp: 1_795_392_000_000_000, line: Self.line(1_795_392_000_000_000, #""message":"a""#), seq: 41),
            EventBlock.Row(timestamp: 1_795_392_000_001_000, line: Array("x y".utf8), seq: 40),
        ]
        let block = [UInt8](try Data(contentsOf: corpus.appendingPathComponent("block")))
        #expect(try EventBlock.decode(block) == expected)
        let payload = [UInt8](try Data(contentsOf: corpus.appendingPathComponent("payload")))
        #expect(try EventBlock.rows(ofPayload: Array(payload.dropFirst()), count: Int(payload[0]) + 1) == expected)
    }

    /// An empty object right after a line kept whole has the same (empty) list of keys as that line's "previous
    /// shape": it is still a shape of its own, not a second line kept whole (the fuzzer found this).
    @Test func anEmptyObjectAfterALineKeptWholeComesBack() throws {
        let rows = ["x y", "{}", "{}", "not json", "{}"].enumerated().map { EventBlock.Row(timestamp: Int64($0.offset), line: Array($0.element.utf8)) }
        #expect(try EventBlock.decode(try EventBlock.encode(rows)) == rows)
    }

    @Test func blocksOfNoRowsOrTooManyAreRefused() {
        #expect(throws: BlockError.self) { try EventBlock.encode([EventBlock.Row]()) }
        let row = EventBlock.Row(timestamp: 0, line: Array("{}".utf8))
        #expect(throws: BlockError.self) { try EventBlock.encode(Array(repeating: row, count: EventBlock.maximumRows + 1)) }
    }
}
