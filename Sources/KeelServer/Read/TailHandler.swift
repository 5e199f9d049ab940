import HTTPTypes
import AsyncAlgorithms
import Hummingbird
import Keel
import KeelQuery
import KeelStore
import KeelWire
import NIOCore
import Prometheus
import ServiceLifecycle

extension KeelServer {
    /// `GET /v1/tail`: Server-Sent Events, one `log` event per stored event with the same filters as `/v1/events`
    /// (or, with `query`, each line a LogQL log query keeps), in arrival order. Each event's `id` is its arrival number,
    /// so a client that reconnects with `Last-Event-ID` (or `?last_event_id=`) gets exactly what it has not seen —
    /// read from the store, across reconnects and server restarts alike. Without one, the tail starts with the next
    /// event to arrive.
    func tail(_ request: Request, _ principal: Principal, _ query: EventQuery) async -> Response {
        var query = query
        let tenant = principal.tenant
        query.after = nil
        var selector: LogSelector?
        if let text = request.uri.queryParameters["query"].map(String.init) {
            switch Result(catching: { try LogQLParser.parse(text) }) {
            case .success(.log(let parsed)): selector = parsed
            case .success: return Self.error(.badRequest, "invalid_query", "query: a tail follows a log query, not a metric query")
            case .failure(let error): return Self.error(.badRequest, "invalid_query", "query: \(error)")
            }
        }
        let resume = request.headers[HTTPField.Name("Last-Event-ID")!]
            ?? request.uri.queryParameters["last_event_id"].map(String.init)
        var position = store.newestArrival(tenant: tenant)
        if let resume {
            guard let arrival = EventQueryParameters.lastEventID(resume) else {
                return Self.error(.badRequest, "invalid_parameter", "Last-Event-ID: not an id this server handed out")
            }
            position = arrival
        }
        let store = self.store
        let engine = LogQLEngine(store: store)
        let logQL = selector
        let metrics = self.metrics
        let arrivals = self.arrivals
        let poll = configuration.tailPollInterval
        let heartbeat = configuration.tailHeartbeat
        let start = position
        let filters = query
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                metrics.tailClients.increment()
                defer { metrics.tailClients.decrement() }
                // Woken by every append of the tenant's events, and every `poll` besides (the heartbeat's clock, and a
                // safety net). The wake-ups end when the server shuts down; a gone client makes a write fail.
                let wakeups = merge(
                    arrivals.arrivals(tenant: tenant), AsyncTimerSequence(interval: poll, clock: ContinuousClock())
                ).cancelOnGracefulShutdown()
                var next = wakeups.makeAsyncIterator()
                var position = start
                var quietSince = ContinuousClock.now
                try await writer.write(ByteBuffer(string: "retry: 1000\n: keel tail from \(position)\n\n"))
                repeat {
                    while case let newest = store.newestArrival(tenant: tenant), newest > position {
                        let after = position
                        // The events after `position` that the filters (or the query) keep, with their arrival numbers;
                        // whether the read was a whole page (more may follow at once); the last arrival read.
                        let (lines, full, last) = try await blocking { () throws -> ([(arrival: Int64, line: String)], Bool, Int64?) in
                            if let logQL {
                                let batch = try engine.tailLines(logQL, tenant: tenant, after: after, limit: 500)
                                return (batch.lines, batch.full, batch.last)
                            }
                            var query = filters
                            query.arrivedAfter = after
                            query.limit = 500
                            let page = try store.events(query)
                            return (page.events.map { ($0.arrival, $0.line) }, page.events.count == 500, page.events.last?.arrival)
                        }
                        var out = ""
                        for (arrival, line) in lines {
                            // A line `line_format` made may hold line breaks: each piece is a `data:` line of its own.
                            let data = line.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: "\ndata: ")
                            out += "id: \(arrival)\nevent: log\ndata: \(data)\n\n"
                        }
                        // A page that is not full holds every match up to `newest`: nothing between is skipped.
                        position = full ? last! : max(last ?? position, newest)
                        if !out.isEmpty {
                            try await writer.write(ByteBuffer(string: out))
                            quietSince = .now
                        }
                    }
                    if ContinuousClock.now - quietSince > heartbeat {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        quietSince = .now
                    }
                } while await next.next() != nil
                try await writer.finish(nil)
            })
    }
}
