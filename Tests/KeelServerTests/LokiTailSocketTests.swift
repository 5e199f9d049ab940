import Foundation
import HTTPTypes
import HummingbirdWSClient
import Keel
@testable import KeelServer
import Logging
import Testing

/// Loki's live tail over a WebSocket: the backlog since `start`, then each new line of the selector's streams as it
/// arrives, in Loki's frames; only the token's tenant; no upgrade without a token or with a bad query.
@Suite struct LokiTailSocketTests {
    @Test func theBacklogThenNewLinesOfTheSelectorOnly() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let now = Date()
            _ = try await client.ingest(
                [keelLine("old-api", at: now.addingTimeInterval(-60), extra: #""service":"api""#),
                 keelLine("old-worker", at: now.addingTimeInterval(-50), extra: #""service":"worker""#)],
                token: fixture.ingestA)
            let query = #"{service="api"}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.authorization: "Bearer \(fixture.readA)"]
            var logger = Logger(label: "tail-test")
            logger.logLevel = .critical
            let frames = FrameLog()
            _ = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(client.port)/loki/api/v1/tail?query=\(query)", configuration: configuration, logger: logger
            ) { inbound, _, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                for round in 0..<2 {
                    if round == 1 {
                        _ = try await client.ingest([keelLine("new-worker", extra: #""service":"worker""#)], token: fixture.ingestA)
                        _ = try await client.ingest([keelLine("b-api", extra: #""service":"api""#)], token: fixture.ingestB)
                        _ = try await client.ingest([keelLine("new-api", extra: #""service":"api""#)], token: fixture.ingestA)
                    }
                    guard case .text(let text)? = try await messages.next() else { break }
                    frames.append(text)
                }
            }
            let ids = frames.all.map { frame -> [String] in
                guard case .array(let streams)? = (try? JSONParser.parse(frame))?["streams"] else { return [] }
                return streams.flatMap { stream -> [String] in
                    guard case .array(let values)? = stream["values"] else { return [] }
                    return values.compactMap { value in
                        guard case .array(let pair) = value, let line = pair.last?.stringValue else { return nil }
                        return (try? JSONParser.parse(line))?["event_id"]?.stringValue
                    }
                }
            }
            #expect(ids == [["old-api"], ["new-api"]], "\(frames.all)")
            #expect(frames.all.first?.contains(#""dropped_entries":null"#) == true)

            // Without a token, or with a query that is not a log query, there is no upgrade.
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(client.port)/loki/api/v1/tail?query=\(query)", logger: logger) { _, _, _ in }
            }
            let metric = #"count_over_time({service="api"}[1m])"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(client.port)/loki/api/v1/tail?query=\(metric)", configuration: configuration, logger: logger
                ) { _, _, _ in }
            }
        }
    }
}

/// The frames a socket received, from its handler's task.
final class FrameLog: @unchecked Sendable {
    private let lock = NSLock()
    private var frames: [String] = []

    func append(_ frame: String) { lock.withLock { frames.append(frame) } }
    var all: [String] { lock.withLock { frames } }
}
