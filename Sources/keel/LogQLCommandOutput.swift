import Foundation
import Keel
import KeelTools
import KeelWire

/// `keel query '<LogQL>'`: runs the query through the server's Loki API and prints a log query's lines (oldest
/// first, rendered as `keel tail` renders them) or a metric query's values as a table.
struct LogQLCommandOutput {
    let client: ServerClient
    let filters: FilterOptions
    let limit: Int
    let step: String?
    let json: Bool

    func run(_ query: String, printer: TailPrinter) async throws {
        let (start, end) = range()
        let isLog = query.trimmingCharacters(in: .whitespaces).hasPrefix("{")
        if isLog {
            let answer = try await client.json(client.request(
                "/loki/api/v1/query_range",
                [("query", query), ("start", String(start)), ("end", String(end)), ("limit", String(limit)), ("direction", "forward")]))
            var entries: [(time: Int64, line: String)] = []
            if case .array(let streams)? = answer["data"]?["result"] {
                for stream in streams {
                    guard case .array(let values)? = stream["values"] else { continue }
                    for case .array(let pair) in values {
                        guard let time = pair.first?.stringValue.flatMap({ Int64($0) }), let line = pair.last?.stringValue else { continue }
                        entries.append((time, line))
                    }
                }
            }
            for entry in entries.sorted(by: { $0.time < $1.time }) { Array(entry.line.utf8).withUnsafeBytes(printer.handle) }
            return
        }
        var parameters: [(String, String?)] = [("query", query)]
        let path: String
        if let step {
            path = "/loki/api/v1/query_range"
            parameters += [("start", String(start)), ("end", String(end)), ("step", step)]
        } else {
            path = "/loki/api/v1/query"
            parameters += [("time", String(end))]
        }
        let request = client.request(path, parameters)
        if json {
            FileHandle.standardOutput.write(Data(try await client.body(request)))
            return
        }
        print(Self.table(try await client.json(request)), terminator: "")
    }

    /// The range in nanoseconds: `--from`/`--to`, or the last `--since` (an hour by default) up to now.
    private func range() -> (Int64, Int64) {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let end = filters.to.flatMap(EventQueryParameters.time) ?? now
        var start = filters.from.flatMap(EventQueryParameters.time) ?? end - 3_600_000_000
        if let since = filters.since.flatMap(EventQueryParameters.duration) { start = end - since }
        return (start * 1000, end * 1000)
    }

    /// One row per series (and per step, for a range), the labels as columns, the value last.
    static func table(_ answer: JSONValue) -> String {
        var rows: [(labels: [String: String], time: String?, value: String)] = []
        func labels(_ value: JSONValue?) -> [String: String] {
            guard case .object(let members)? = value else { return [:] }
            return Dictionary(members.compactMap { key, value in value.stringValue.map { (key, $0) } }, uniquingKeysWith: { a, _ in a })
        }
        func time(_ value: JSONValue?) -> String? {
            guard let seconds = value?.doubleValue else { return nil }
            return Timestamp(microsecondsSinceEpoch: Int64(seconds * 1_000_000)).description
        }
        let result = answer["data"]?["result"]
        switch answer["data"]?["resultType"]?.stringValue {
        case "scalar":
            if case .array(let pair)? = result { rows.append(([:], nil, pair.last?.stringValue ?? "")) }
        case "vector":
            if case .array(let samples)? = result {
                for sample in samples {
                    guard case .array(let pair)? = sample["value"] else { continue }
                    rows.append((labels(sample["metric"]), nil, pair.last?.stringValue ?? ""))
                }
            }
        default:
            if case .array(let series)? = result {
                for one in series {
                    guard case .array(let points)? = one["values"] else { continue }
                    for case .array(let pair) in points { rows.append((labels(one["metric"]), time(pair.first), pair.last?.stringValue ?? "")) }
                }
            }
        }
        guard !rows.isEmpty else { return "(no data)\n" }
        let names = Set(rows.flatMap { $0.labels.keys }).sorted()
        let hasTime = rows.contains { $0.time != nil }
        let header = (hasTime ? ["time"] : []) + names + ["value"]
        let cells = rows.map { row in (hasTime ? [row.time ?? ""] : []) + names.map { row.labels[$0] ?? "" } + [row.value] }
        let widths = header.indices.map { column in ([header[column]] + cells.map { $0[column] }).map(\.count).max() ?? 0 }
        func line(_ values: [String]) -> String {
            values.enumerated().map { column, value in
                column == values.count - 1 ? value : value.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }
        return line(header) + cells.map(line).joined()
    }
}
