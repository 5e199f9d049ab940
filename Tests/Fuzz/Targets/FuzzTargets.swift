import Keel
import KeelBlockStore
import KeelQuery
import KeelRules
import KeelStore
import KeelWire

/// Every parser that reads client bytes, each as one fuzz target: the input is a request body (or a header, or a
/// query string) and the property is what the server promises of it — no crash, no trap, no hang, and where a
/// strict reference exists, the same accept/refuse answer.
enum FuzzTarget: String, CaseIterable {
    case ndjson, lokiJSON = "loki-json", lokiProtobuf = "loki-protobuf", otlpJSON = "otlp-json"
    case otlpProtobuf = "otlp-protobuf", inflate, snappy, jsonParser = "json-parser", objectScanner = "object-scanner"
    case time, query, lastEventID = "last-event-id", logql, block, rules

    /// Runs the target on one input; a broken property stops the process (libFuzzer records the input).
    func run(_ bytes: UnsafeRawBufferPointer) {
        let input = Array(bytes)
        switch self {
        case .ndjson: Self.ingest(input, .ndjson, contentType: "application/x-ndjson")
        case .lokiJSON: Self.ingest(input, .loki, contentType: "application/json")
        // Loki's protobuf pushes are snappy blocks: the input is the block, so snappy and protobuf are both reached.
        case .lokiProtobuf: Self.ingest(input, .loki, contentType: "application/x-protobuf")
        case .otlpJSON: Self.ingest(input, .otlp, contentType: "application/json")
        case .otlpProtobuf: Self.ingest(input, .otlp, contentType: "application/x-protobuf")
        case .inflate:
            _ = try? IngestBody.decode(input, format: .ndjson, contentType: nil, contentEncoding: "gzip", limits: Self.limits)
            _ = try? IngestBody.decode(input, format: .ndjson, contentType: nil, contentEncoding: "deflate", limits: Self.limits)
        case .snappy:
            _ = try? IngestBody.decode(input, format: .ndjson, contentType: nil, contentEncoding: "snappy", limits: Self.limits)
        case .jsonParser: Self.jsonParser(bytes)
        case .objectScanner: Self.objectScanner(bytes)
        case .time: Self.time(input)
        case .query: Self.query(input)
        case .logql: Self.logql(input)
        case .block: Self.block(input)
        case .rules: Self.rules(input)
        case .lastEventID:
            let text = String(decoding: input, as: UTF8.self)
            if let id = EventQueryParameters.lastEventID(text) { check(id >= 0, "a negative arrival was accepted") }
        }
    }

    /// LogQL, as `keel serve` reads `query=`: a refusal is a parse error with a position; what parses prints back as
    /// LogQL that parses to the same query.
    static func logql(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        do {
            let parsed = try LogQLParser.parse(text)
            let again = try? LogQLParser.parse(parsed.description)
            check(again == parsed, "\(text.prefix(80)) printed as \(parsed.description.prefix(80)) does not read back the same")
        } catch {
            check(error.line >= 1 && error.column >= 1 && !error.message.isEmpty, "a refusal without a position or a message")
        }
    }

    /// A rule file (what an admin POSTs to the rules API, or puts in `--rules`): a refusal says why; what is read
    /// writes back as YAML that reads as the same rules; templates render for any labels and value without trapping.
    static func rules(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        do {
            let file = try RuleFile.parse(text)
            let again = try? RuleFile.parse(file.yaml())
            check(
                again?.groups.map { [$0.name, "\($0.interval)", "\($0.rules)"] } == file.groups.map { [$0.name, "\($0.interval)", "\($0.rules)"] },
                "rules read from \(text.prefix(80)) do not read back the same")
            for group in file.groups {
                for case .alert(let rule) in group.rules {
                    for value in [0, -1.5, 1e300, .infinity, .nan] {
                        _ = rule.renderedAnnotations(labels: ["service": "api", "": "\u{0}"], value: value)
                    }
                }
            }
        } catch {
            check(!error.description.isEmpty, "a refusal without a reason")
        }
        if let group = try? RuleFile.parseGroup(text) { check(!group.name.isEmpty, "a group without a name was accepted") }
    }

    /// A block file, whole and as columns that passed their checksum: a refusal is a ``BlockError``, never a trap or
    /// an allocation of what a damaged count claims; what is read writes back into a block that reads the same.
    static func block(_ input: [UInt8]) {
        if let rows = try? EventBlock.decode(input) { roundTrip(rows) }
        guard let count = input.first else { return }
        if let rows = try? EventBlock.rows(ofPayload: Array(input.dropFirst()), count: Int(count) + 1) { roundTrip(rows) }
        // What reads take from columns without lines agrees with the lines: a line test keeps every row whose line
        // holds the text, and members are those the line's parse picks.
        if let columns = try? BlockColumns(Array(input.dropFirst()), count: Int(count) + 1) {
            let rows = columns.rows { _ in true }
            let needle = Array(input.suffix(3))
            if BlockColumns.RowTest.canTestLine(for: needle), let wanted = columns.rows(where: [.lineContains(needle)]) {
                for (index, row) in rows.enumerated() where row.line.withUnsafeBufferPointer({ ByteSearch.contains($0, needle) }) {
                    check(wanted[index], "row \(index) holds the text but its columns ruled it out")
                }
            }
            let names = ["message", "level", "timestamp", "context"]
            var picker = MemberPicker(names)
            var scratch: [JSONReader.Member] = []
            _ = columns.members(names) { index, members in
                // Only for lines that are JSON, as every line the encoder takes apart is (these columns need not be
                // an encoder's).
                let isJSON = rows[index].line.withUnsafeBufferPointer { (try? JSONReader.members(of: $0, maxDepth: 128, into: &scratch)) != nil }
                guard isJSON else { return true }
                let got = members.map { $0.map { Array($0) } }
                _ = rows[index].line.withUnsafeBufferPointer { line in
                    picker.pick(line) { picked in
                        check(picked.map { $0.map { Array($0) } } == got, "row \(index)'s members are not its line's")
                        return true
                    }
                }
                return true
            }
        }
        func roundTrip(_ rows: [EventBlock.Row]) {
            let again = (try? EventBlock.encode(rows)).flatMap { try? EventBlock.decode($0) }
            check(again == rows, "\(rows.count) rows read from a block do not write back the same")
        }
    }

    static let limits: IngestLimits = {
        var limits = IngestLimits()
        limits.maxDepth = 32
        return limits
    }()

    static let normalizer = EventNormalizer(redactor: Redactor(policy: .default), limits: limits)

    /// 2026-01-01T00:00:00Z: a fixed clock, so a crash reproduces.
    static let now: Int64 = 1_767_225_600_000_000

    /// A body through the endpoint's whole path short of the store: decoded, normalised, acknowledged. Every record
    /// is either stored or refused, exactly once.
    static func ingest(_ body: [UInt8], _ format: some IngestFormat, contentType: String) {
        guard let decoded = try? IngestBody.decode(body, format: format, contentType: contentType, contentEncoding: nil, limits: limits)
        else { return }
        let batch = normalizer.normalize(decoded.records, tenant: "fuzz", now: now, oldest: now - 30 * 86_400_000_000)
        if verbose { print("  \(format.name): \(batch.events.count) stored, \((decoded.refused + batch.refused).map(\.description))") }
        check(batch.events.count + batch.refused.count == decoded.records.count, "a record was neither stored nor refused")
        for event in batch.events {
            check((try? JSONParser.parse(event.line)) != nil, "a stored line is not JSON: \(event.line.prefix(200))")
            check(event.timestamp <= now + 600_000_000, "an event from the future was accepted")
        }
        _ = IngestAcknowledgement(
            format: format, contentType: contentType, stored: batch.events.count, duplicates: 0,
            refused: decoded.refused + batch.refused)
    }

    /// The tree parser, strict and repairing: no crash, and a repaired parse accepts whatever the strict one does.
    static func jsonParser(_ bytes: UnsafeRawBufferPointer) {
        let strict = try? JSONParser.parse(bytes, options: .init(maxDepth: 32, repairUTF8: false))
        let repaired = try? JSONParser.parse(bytes, options: .init(maxDepth: 32, repairUTF8: true))
        if strict != nil { check(repaired != nil, "the repairing parser refused what the strict one accepted") }
        if let strict { check((try? JSONParser.parse(strict.jsonText)) != nil, "a parsed value does not write back as JSON") }
    }

    /// The ingest scanner accepts exactly the objects the strict tree parser accepts.
    static func objectScanner(_ bytes: UnsafeRawBufferPointer) {
        let bytes = bytes.bindMemory(to: UInt8.self)
        var members: [JSONReader.Member] = []
        let scanned = (try? JSONReader.members(of: bytes, maxDepth: 32, into: &members)) != nil
        let parsed = try? JSONParser.parse(UnsafeRawBufferPointer(bytes), options: .init(maxDepth: 32, repairUTF8: false))
        var isObject = false
        if case .object? = parsed { isObject = true }
        check(scanned == isObject, "the scanner says \(scanned), the parser \(isObject)")
    }

    /// Timestamps in every form a client sends: no trap, and RFC 3339 round-trips.
    static func time(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        if let time = Timestamp(rfc3339: text) {
            var out = OutputBuffer(capacity: 40)
            defer { out.deallocate() }
            out.appendRFC3339(time)
            let again = Timestamp(rfc3339: String(decoding: out.bytes, as: UTF8.self))
            check(again == time, "\(text.prefix(40)) does not round-trip")
        }
        _ = EventQueryParameters.time(text)
        _ = Timestamp(foreign: .number(text))
        _ = EventQueryParameters.duration(text)
        // As an NDJSON event's own time, in every member form.
        ingest(Array("{\"ts\":\(text)}".utf8), .ndjson, contentType: "application/x-ndjson")
        ingest(Array("{\"timestamp\":\(JSONValue.string(text).jsonText)}".utf8), .ndjson, contentType: "application/x-ndjson")
        // As Loki's and OTLP's JSON times.
        ingest(Array("{\"streams\":[{\"stream\":{},\"values\":[[\(JSONValue.string(text).jsonText),\"x\"]]}]}".utf8), .loki, contentType: "application/json")
        ingest(
            Array("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\(text),\"severityNumber\":\(text)}]}]}]}".utf8),
            .otlp, contentType: "application/json")
    }

    /// A query string, split as a server splits it: no trap, and a refusal is a clear error.
    static func query(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        let pairs = text.split(separator: "&").map { pair -> (name: String, value: String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        do {
            let query = try EventQueryParameters.query(pairs, tenant: "fuzz", now: now)
            check(query.limit > 0 && query.limit <= 10_000, "limit \(query.limit) out of range")
        } catch {
            check(!error.message.isEmpty, "a refusal without a message")
        }
    }
}

/// Replays say what each input came to (`KEEL_FUZZ_VERBOSE=1`), to check that the seeds are read as meant.
nonisolated(unsafe) var verbose = false

/// A property that must hold; a broken one stops the process so the fuzzer keeps the input.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("property broken: \(message())") }
}
