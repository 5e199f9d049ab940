import ArgumentParser
import Foundation
import Keel
import KeelTools
import KeelWire
import Logging

/// The filters of every command that reads events — `keel query`, `keel export`, `keel tail` (files or a server)
/// and `keel timeline` — with one spelling each. A server applies them to `/v1/events` and `/v1/tail`; `keel tail`
/// applies the same ones to the lines it reads.
struct FilterOptions: ParsableArguments {
    @Option(help: "From this time (RFC 3339 or Unix time).") var from: String?
    @Option(help: "Until this time (RFC 3339 or Unix time).") var to: String?
    @Option(help: "The last period: 30s, 15m, 2h, 7d.") var since: String?
    @Option(help: "This level and above: trace, debug, info, notice, warn, error, critical.") var level: String?
    @Option(help: "Only this event name.") var event: String?
    @Option(name: .customLong("error-code"), help: "Only this error_code.") var errorCode: String?
    @Option(name: .customLong("request-id"), help: "Only this request_id.") var requestID: String?
    @Option(name: .customLong("trace-id"), help: "Only this trace_id.") var traceID: String?
    @Option(name: .customLong("run-id"), help: "Only this run_id.") var runID: String?
    @Option(name: .customLong("user-id"), help: "Only this user_id.") var userID: String?
    @Option(name: [.customShort("q"), .customLong("contains")], help: "Messages containing this text, without regard to case.")
    var contains: String?

    // The spellings of the previous release, kept for one more.
    @Option(name: .customLong("min-level"), help: .hidden) var minLevel: String?
    @Option(name: .customLong("query"), help: .hidden) var query: String?

    var minimumLevel: String? { level ?? minLevel }
    var text: String? { contains ?? query }

    func validate() throws {
        if let minimumLevel, Logger.Level(canonicalName: minimumLevel) == nil {
            throw ValidationError("--level \(minimumLevel) is not a level; use trace, debug, info, notice, warn, error or critical")
        }
        for (flag, value) in [("--from", from), ("--to", to)] {
            if let value, EventQueryParameters.time(value) == nil {
                throw ValidationError("\(flag) \(value): expected an RFC 3339 time (2026-12-03T10:00:00Z) or a Unix time")
            }
        }
        if let since, EventQueryParameters.duration(since) == nil {
            throw ValidationError("--since \(since): expected a duration such as 30s, 15m, 2h or 7d")
        }
    }

    /// The query parameters a server takes.
    var parameters: [(String, String?)] {
        [("from", from), ("to", to), ("since", since), ("level", minimumLevel), ("event", event), ("error_code", errorCode),
         ("request_id", requestID), ("trace_id", traceID), ("run_id", runID), ("user_id", userID), ("q", text)]
    }

    /// The same filters for lines read here; `tenant` filters `tenant_id`.
    func filter(tenant: String?, grep: Regex<AnyRegexOutput>?) -> TailFilter {
        let fields: [(name: String, value: String)] = [
            ("event", event), ("error_code", errorCode), ("request_id", requestID), ("trace_id", traceID),
            ("run_id", runID), ("user_id", userID), ("tenant_id", tenant),
        ].compactMap { name, value in value.map { (name, $0) } }
        var from = self.from.flatMap(EventQueryParameters.time)
        if let since, let duration = EventQueryParameters.duration(since) {
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let (start, overflow) = now.subtractingReportingOverflow(duration)
            from = overflow ? .min : start
        }
        return TailFilter(
            minimumLevel: minimumLevel.flatMap { Logger.Level(canonicalName: $0) }, fields: fields, messageContains: text,
            from: from, to: to.flatMap(EventQueryParameters.time), grep: grep)
    }
}

/// A regular expression over the whole line, applied where the lines are printed.
struct GrepOptions: ParsableArguments {
    @Option(help: "Only lines matching this regular expression.") var grep: String?
    @Flag(name: [.customShort("i"), .customLong("ignore-case")], help: "Match --grep without regard to case.")
    var ignoreCase = false

    func pattern() throws -> Regex<AnyRegexOutput>? {
        guard let grep else { return nil }
        do {
            return try TailFilter.pattern(grep, ignoreCase: ignoreCase)
        } catch {
            throw ValidationError("--grep \(grep.debugDescription) is not a valid regular expression: \(error)")
        }
    }

    func validate() throws { _ = try pattern() }
}
