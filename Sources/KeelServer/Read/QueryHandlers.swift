import Hummingbird
import Logging
import Prometheus
import Keel
import KeelWire
import KeelStore
import NIOCore

extension KeelServer {
    /// `GET /v1/events`: a page of matching events, oldest first, and the cursor of the next page.
    func queryEvents(_ request: Request, _ principal: Principal, _ query: EventQuery) async -> Response {
        do {
            let page = try await timed { [store] in try store.events(query) }
            var out = "{\"events\":["
            for (i, event) in page.events.enumerated() {
                if i > 0 { out += "," }
                out += event.line
            }
            out += "]"
            if let next = page.next { out += ",\"next\":\"\(next)\"" }
            out += "}\n"
            return Self.json(.ok, out)
        } catch {
            return storeFailure(error)
        }
    }

    /// `GET /v1/timeline?request_id=…` (or `run_id`, `trace_id`): every event of that request or run, from every
    /// service, in time order, with each one's offset from the start, its duration and the idle gap before it.
    func timeline(_ request: Request, _ principal: Principal, _ query: EventQuery) async -> Response {
        let keys: [IDField] = [.requestID, .runID, .traceID].filter { query.ids[$0] != nil }
        guard keys.count == 1, let key = keys.first, let id = query.ids[key] else {
            return Self.error(.badRequest, "invalid_parameter", "name one of request_id, run_id or trace_id")
        }
        let cap = 10_000
        do {
            var events: [StoredEvent] = []
            try await eachPage(of: query) { page in
                events += page
                return events.count < cap
            }
            return Self.json(.ok, Timeline(events: Array(events.prefix(cap)), truncated: events.count >= cap).json(key: key, id: id))
        } catch {
            return storeFailure(error)
        }
    }

    /// Reads `query`'s events page by page, in order, handing each page to `body` until it returns false or the
    /// events run out: what the timeline and the export share.
    func eachPage(
        of query: EventQuery, size: Int = 1000, _ body: ([StoredEvent]) async throws -> Bool
    ) async throws {
        var query = query
        query.limit = size
        while true {
            let page = try await timed { [store, query] in try store.events(query) }
            guard try await body(page.events), let next = page.next else { return }
            query.after = next
        }
    }

    /// Runs a store read off the event loop and records its latency.
    func timed<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer { metrics.queryLatency.record(ContinuousClock.now - start) }
        return try await blocking(work)
    }

    /// The answer to a request the store failed: `507` when the disk is full (nothing more can be stored until space
    /// returns), else `503`; either way the client is told to retry, and nothing it sent was acknowledged.
    func storeFailure(_ error: any Error, refusing message: String = "the store could not be read; retry") -> Response {
        if StoreFailure.isStorageFull(error) {
            logger.error("store is full", metadata: ["error": "\(error)"])
            return Self.error(.init(code: 507), "storage_full", "the server's disk is full; retry later: nothing was acknowledged")
        }
        logger.error("store failed", metadata: ["error": "\(error)"])
        return Self.error(.serviceUnavailable, "store_error", message)
    }
}

/// A request's or run's story: its events with offsets, durations and the gaps between them.
struct Timeline {
    let events: [StoredEvent]
    let truncated: Bool

    func json(key: IDField, id: String) -> String {
        // An event is written when its work ends: it started `duration_ms` before its timestamp.
        let parsed = events.map { event -> (event: StoredEvent, start: Int64, duration: Double?, service: String?) in
            let line = try? JSONParser.parse(event.line)
            // A sender's `duration_ms` is any JSON number (`1e300`, negative): only a plausible one (0 to a year)
            // places the event's start, so no arithmetic here can overflow.
            let duration = line?["duration_ms"]?.doubleValue.flatMap { (0...Self.longestDuration).contains($0) ? $0 : nil }
            return (event, event.timestamp - Int64((duration ?? 0) * 1000), duration, line?["service"]?.stringValue)
        }
        let first = parsed.map(\.start).min() ?? 0
        let last = events.map(\.timestamp).max() ?? 0
        var services: [String] = []
        for service in parsed.compactMap(\.service) where !services.contains(service) { services.append(service) }
        var out = "{\"\(key.rawValue)\":" + JSONValue.string(id).jsonText + ",\"count\":\(events.count)"
        if !events.isEmpty {
            out += ",\"started\":\"\(Timestamp(microsecondsSinceEpoch: first))\",\"ended\":\"\(Timestamp(microsecondsSinceEpoch: last))\""
            out += ",\"duration_ms\":\(Self.milliseconds(last - first))"
        }
        out += ",\"services\":" + JSONValue.array(services.map(JSONValue.string)).jsonText
        out += ",\"truncated\":\(truncated),\"events\":["
        var latestEnd = first
        for (i, item) in parsed.enumerated() {
            if i > 0 { out += "," }
            let gap = max(0, item.start - latestEnd)
            latestEnd = max(latestEnd, item.event.timestamp)
            out += "{\"offset_ms\":\(Self.milliseconds(item.start - first)),\"gap_ms\":\(Self.milliseconds(gap))"
            if let duration = item.duration { out += ",\"duration_ms\":\(duration)" }
            out += ",\"event\":" + item.event.line + "}"
        }
        return out + "]}\n"
    }

    /// A year, in milliseconds: the longest duration a timeline takes from an event.
    static let longestDuration = 366.0 * 86_400_000

    static func milliseconds(_ microseconds: Int64) -> String {
        let whole = microseconds / 1000
        let fraction = abs(microseconds % 1000)
        return "\(whole).\(fraction < 10 ? "00" : fraction < 100 ? "0" : "")\(fraction)"
    }
}
