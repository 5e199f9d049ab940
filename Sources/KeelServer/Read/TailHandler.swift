import HTTPTypes
import AsyncAlgorithms
import Hummingbird
import Keel
import KeelStore
import KeelWire
import NIOCore
import Prometheus
import ServiceLifecycle

extension KeelServer {
    /// `GET /v1/tail`: Server-Sent Events, one `log` event per stored event with the same filters as `/v1/events`,
    /// in arrival order. Each event's `id` is its arrival number, so a client that reconnects with `Last-Event-ID`
    /// (or `?last_event_id=`) gets exactly what it has not seen — read from the store, across reconnects and server
    /// restarts alike. Without one, the tail starts with the next event to arrive.
    func tail(_ request: Request, _ principal: Principal, _ query: EventQuery) async -> Response {
        var query = query
        let tenant = principal.tenant
        query.after = nil
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
                        var query = filters
                        query.arrivedAfter = position
                        query.limit = 500
                        let page = try await blocking { [query] in try store.events(query) }
                        var out = ""
                        for event in page.events {
                            out += "id: \(event.arrival)\nevent: log\ndata: \(event.line)\n\n"
                        }
                        // A page that is not full holds every match up to `newest`: nothing between is skipped.
                        let full = page.events.count == query.limit
                        position = full ? page.events.last!.arrival : max(page.events.last?.arrival ?? position, newest)
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
