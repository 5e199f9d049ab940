import Foundation
import Hummingbird
import HummingbirdWebSocket
import Keel
import KeelQuery
import KeelStore
import Logging

/// `GET /loki/api/v1/tail?query=&start=&limit=` over a WebSocket: Loki's live tail, as Grafana's live mode and
/// `logcli --tail` open it. The socket first gets the selector's lines since `start` (an hour ago by default; at
/// most `limit`, oldest first), then every new line as it arrives, as Loki's frames:
/// `{"streams":[{"stream":{…},"values":[["<ns>","<line>"]]}],"dropped_entries":null}`. The token's tenant only.
extension KeelServer {
    /// The routes that upgrade to a WebSocket, behind the read group's authentication.
    func makeWebSocketRouter() -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        let read = router.group().add(middleware: AuthenticationMiddleware(authenticator: authenticator, role: .read))
        read.ws("/loki/api/v1/tail") { request, context in
            // Refused before the upgrade: a bad query is an HTTP error the client can read.
            guard context.principal != nil, let text = request.uri.queryParameters["query"].map(String.init),
                case .log? = try? LogQLParser.parse(text)
            else { return .dontUpgrade }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let principal = context.requestContext.principal,
                let text = context.request.uri.queryParameters["query"].map(String.init),
                case .log(let selector) = try LogQLParser.parse(text)
            else { return }
            let parameters = context.request.uri.queryParameters
            let now = Timestamp.now().microsecondsSinceEpoch &* 1000
            let start = parameters["start"].flatMap { LokiTime.nanoseconds(String($0)) } ?? now &- Self.hour
            let limit = min(parameters["limit"].flatMap { Int(String($0)) } ?? 100, 5_000)
            try await self.tail(selector, tenant: principal.tenant, start: start, limit: limit, inbound: inbound, outbound: outbound)
        }
        return router
    }

    private func tail(
        _ selector: LogSelector, tenant: String, start: Int64, limit: Int, inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter
    ) async throws {
        let engine = LogQLEngine(store: store)
        // The position is taken before the backlog is read, so that nothing arriving in between is missed (a line
        // may come twice, never not at all).
        let first = store.newestArrival(tenant: tenant)
        let now = Timestamp.now().microsecondsSinceEpoch &* 1000
        let backlog = try await timed { () -> QueryResult? in
            try? engine.logs(selector, tenant: tenant, start: start, end: now &+ 1, limit: limit, direction: .backward)
        }
        if case .streams(let streams)? = backlog, !streams.isEmpty {
            // Oldest first, as a tail reads.
            try await outbound.write(.text(Self.tailFrame(streams.map { LogStream(labels: $0.labels, entries: $0.entries.reversed()) })))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The client closing the socket ends the tail.
            group.addTask { for try await _ in inbound.messages(maxSize: 1 << 16) {} }
            group.addTask { [configuration] in
                var position = first
                while !Task.isCancelled {
                    try await Task.sleep(for: configuration.tailPollInterval)
                    let after = position
                    let batch = try await self.timed { () -> (streams: [LogStream], last: Int64)? in
                        try? engine.tail(selector, tenant: tenant, after: after)
                    }
                    guard let batch else { continue }
                    position = batch.last
                    if !batch.streams.isEmpty { try await outbound.write(.text(Self.tailFrame(batch.streams))) }
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// Loki's TailResponse: the same streams as a query's, and no dropped entries (nothing is dropped here).
    static func tailFrame(_ streams: [LogStream]) -> String {
        #"{"streams":"# + QueryResult.lokiJSON(streams) + #","dropped_entries":null}"#
    }
}
