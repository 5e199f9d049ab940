import Foundation
import Hummingbird
import Keel
import KeelStore

/// The filters of `/v1/events`, `/v1/tail`, `/v1/timeline` and `/v1/export`, from the query string:
/// `from`, `to` (RFC 3339 or Unix seconds/ms/µs/ns; or `since=15m`), `level` (minimum), `event`, `error_code`,
/// `request_id`, `trace_id`, `run_id`, `user_id`, `q` (case-insensitive substring of the message), `limit`,
/// `cursor`. `tenant` picks the tenant (admin tokens only, like `X-Scope-OrgID`).
struct ReadParameters {
    struct Invalid: Error {
        let message: String
    }

    static func query(_ request: Request, tenant: String, now: Int64 = Timestamp.now().microsecondsSinceEpoch) throws(Invalid) -> EventQuery {
        let parameters = request.uri.queryParameters
        func text(_ name: Substring) -> String? { parameters[name].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        func time(_ name: Substring) throws(Invalid) -> Int64? {
            guard let value = text(name) else { return nil }
            guard let time = EventNormalizer.timestamp(.string(value)) else {
                throw Invalid(message: "\(name): expected RFC 3339 or a Unix time, got \(value.prefix(40))")
            }
            return time
        }
        var query = EventQuery(tenant: tenant)
        query.from = try time("from")
        query.to = try time("to")
        if let since = text("since") {
            guard let duration = duration(since) else { throw Invalid(message: "since: expected e.g. 30s, 15m, 2h, 7d") }
            query.from = now - duration
        }
        if let level = text("level") {
            guard let name = EventNormalizer.levelName(.string(level)) else { throw Invalid(message: "level: unknown level \(level.prefix(20))") }
            query.minimumLevel = StoredEvent.levelRank(name)
        }
        query.event = text("event")
        query.errorCode = text("error_code")
        for field in IDField.allCases { if let value = text(Substring(field.rawValue)) { query.ids[field] = value } }
        query.text = text("q")
        if let limit = text("limit") {
            guard let n = Int(limit), n > 0 else { throw Invalid(message: "limit: expected a positive number") }
            query.limit = min(n, 10_000)
        }
        if let cursor = text("cursor") {
            guard let parsed = EventCursor(cursor) else { throw Invalid(message: "cursor: not a cursor this server handed out") }
            query.after = parsed
        }
        return query
    }

    /// `30s`, `15m`, `2h`, `7d` in microseconds.
    static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0 else { return nil }
        switch unit {
        case "s": return amount * 1_000_000
        case "m": return amount * 60_000_000
        case "h": return amount * 3_600_000_000
        case "d": return amount * 86_400_000_000
        default: return nil
        }
    }
}

extension KeelServer {
    /// Checks credentials and reads the filters, then answers with `handler`; or answers the refusal (401, 403, or
    /// 400 for a bad parameter) itself. What every read endpoint starts with.
    func reading(
        _ request: Request, needs role: Role = .read,
        _ handler: (Request, Principal, EventQuery) async -> Response
    ) async -> Response {
        let named = request.uri.queryParameters["tenant"].map(String.init)
        let principal: Principal
        do {
            principal = try authenticator.principal(request.headers, tenant: named, needs: role)
        } catch {
            return Self.refusal(error)
        }
        let query: EventQuery
        do {
            query = try ReadParameters.query(request, tenant: principal.tenant)
        } catch {
            return Self.error(.badRequest, "invalid_parameter", error.message)
        }
        return await handler(request, principal, query)
    }
}
