package import KeelStore
import Keel
import Logging

/// The filters of `/v1/events`, `/v1/tail`, `/v1/timeline` and `/v1/export`, from a query string's pairs:
/// `from`, `to` (RFC 3339 or a Unix time in s/ms/µs/ns; `0` is the epoch), or `since=15m`; `level` (minimum),
/// `event`, `error_code`, `request_id`, `trace_id`, `run_id`, `user_id`, `q` (case-insensitive substring of the
/// message), `limit`, `cursor`; `tenant` (admin tokens) and `last_event_id` (tails) are read by their endpoints.
///
/// Any other name is refused rather than ignored: a filter the server does not know would otherwise return
/// everything. Every number is read with checked arithmetic: no value can trap.
package enum EventQueryParameters {
    package struct Invalid: Error, Equatable {
        package let message: String
    }

    /// Every name the read endpoints take.
    package static let names: Set<String> = Set(
        ["from", "to", "since", "level", "event", "error_code", "q", "limit", "cursor", "tenant", "last_event_id"]
            + IDField.allCases.map(\.rawValue))

    /// The query that `parameters` (as decoded from the query string) ask for.
    package static func query(
        _ parameters: [(name: String, value: String)], tenant: String, now: Int64
    ) throws(Invalid) -> EventQuery {
        if let unknown = parameters.first(where: { !names.contains($0.name) }) {
            throw Invalid(message: "unknown parameter \(unknown.name.prefix(40)) (known: \(names.sorted().joined(separator: ", ")))")
        }
        func text(_ name: String) -> String? { parameters.first { $0.name == name && !$0.value.isEmpty }?.value }
        func time(_ name: String) throws(Invalid) -> Int64? {
            guard let value = text(name) else { return nil }
            guard let time = Self.time(value) else {
                throw Invalid(message: "\(name): expected RFC 3339 or a Unix time, got \(value.prefix(40))")
            }
            return time
        }
        var query = EventQuery(tenant: tenant)
        query.from = try time("from")
        query.to = try time("to")
        if let since = text("since") {
            guard let duration = duration(since) else {
                throw Invalid(message: "since: expected a duration such as 30s, 15m, 2h or 7d, got \(since.prefix(40))")
            }
            let (from, overflow) = now.subtractingReportingOverflow(duration)
            query.from = overflow ? .min : from
        }
        if let level = text("level") {
            guard let parsed = Logger.Level(canonicalName: level) else { throw Invalid(message: "level: unknown level \(level.prefix(20))") }
            query.minimumLevel = parsed.rank
        }
        query.event = text("event")
        query.errorCode = text("error_code")
        for field in IDField.allCases { if let value = text(field.rawValue) { query.ids[field] = value } }
        query.text = text("q")
        if let limit = text("limit") {
            guard let n = Int(limit), n > 0 else { throw Invalid(message: "limit: expected a positive number, got \(limit.prefix(40))") }
            query.limit = min(n, 10_000)
        }
        if let cursor = text("cursor") {
            guard let parsed = EventCursor(cursor) else { throw Invalid(message: "cursor: not a cursor this server handed out") }
            query.after = parsed
        }
        return query
    }

    /// RFC 3339, or a Unix time whose unit is told by its size (``Timestamp/init(foreign:)``); `0` is the epoch.
    package static func time(_ text: String) -> Int64? {
        if let number = Double(text), number == 0 { return 0 }
        return Timestamp(foreign: .string(text))?.microsecondsSinceEpoch
    }

    /// `30s`, `15m`, `2h`, `7d` in microseconds; `nil` for anything else, or for a span that does not fit 64 bits.
    package static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1_000_000
        case "m": scale = 60_000_000
        case "h": scale = 3_600_000_000
        case "d": scale = 86_400_000_000
        default: return nil
        }
        let (span, overflow) = amount.multipliedReportingOverflow(by: scale)
        return overflow ? nil : span
    }

    /// A tail's resume point (`Last-Event-ID` or `?last_event_id=`): an arrival number this server handed out.
    package static func lastEventID(_ text: String) -> Int64? {
        guard let arrival = Int64(text), arrival >= 0 else { return nil }
        return arrival
    }
}
