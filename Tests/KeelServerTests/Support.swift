import AsyncHTTPClient
import CZlib
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keel
@testable import KeelServer
@testable import KeelWire
import KeelStore
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// A `keel serve` on 127.0.0.1 (a free port) over a fresh data directory, with tokens for two tenants.
struct TestServer {
    let directory: String
    var configuration: ServerConfiguration
    let adminA: String
    let ingestA: String
    let readA: String
    let ingestB: String
    let readB: String
    let adminB: String

    init(configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-server-\(UUID())").path
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.dataDirectory = directory
        configuration.tailPollInterval = .milliseconds(20)
        // Test events carry fixed dates; the retention job at start must not drop them whenever the tests run.
        configuration.retentionDays = 36_500
        // The server's tests run on the block store, the store that is to become the default; the SQLite store has
        // its own tests and the conformance suite.
        configuration.store = .blocks
        configure(&configuration)
        self.configuration = configuration
        let tokens = TokenStore(dataDirectory: directory)
        adminA = try tokens.create(tenant: "tenant-a", role: .admin).token
        ingestA = try tokens.create(tenant: "tenant-a", role: .ingest).token
        readA = try tokens.create(tenant: "tenant-a", role: .read).token
        ingestB = try tokens.create(tenant: "tenant-b", role: .ingest).token
        readB = try tokens.create(tenant: "tenant-b", role: .read).token
        adminB = try tokens.create(tenant: "tenant-b", role: .admin).token
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    func makeServer() throws -> KeelServer {
        var logger = Logger(label: "keel.server.test")
        logger.logLevel = .critical
        return try KeelServer(configuration: configuration, logger: logger)
    }

    /// Runs `test` against a live server on this directory (a new server each call: a restart); `store` may wrap
    /// the server's store (to make it fail, say).
    func run(
        store wrap: ((any LogStore) -> any LogStore)? = nil, _ test: @escaping @Sendable (Client) async throws -> Void
    ) async throws {
        var made = try makeServer()
        if let wrap {
            var logger = Logger(label: "keel.server.test")
            logger.logLevel = .critical
            made = KeelServer(configuration: configuration, store: wrap(made.store), logger: logger)
        }
        let server = made
        try await server.makeApplication().test(.live) { client in
            try await test(Client(port: client.port!, server: server))
        }
    }

    /// Requests over real HTTP (AsyncHTTPClient), including streamed ones.
    struct Client: Sendable {
        let port: Int
        let server: KeelServer

        struct Reply: Sendable {
            let status: Int
            let headers: [(String, String)]
            let body: [UInt8]
            var text: String { String(decoding: body, as: UTF8.self) }
            var json: JSONValue? { try? JSONParser.parse(body) }
            func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        }

        func send(
            _ path: String, method: HTTPMethodName = .GET, token: String?, headers: [(String, String)] = [],
            body: [UInt8]? = nil, contentType: String? = nil
        ) async throws -> Reply {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = method.nio
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(body) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let collected = try await response.body.collect(upTo: 64 << 20)
            return Reply(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: Array(collected.readableBytesView))
        }

        func ingest(_ lines: [String], token: String, headers: [(String, String)] = []) async throws -> Reply {
            try await send(
                "/v1/events", method: .POST, token: token, headers: headers,
                body: Array(lines.joined(separator: "\n").utf8), contentType: "application/x-ndjson")
        }

        /// Every event the token's tenant (or `query`) finds, through `/v1/events`, all pages.
        func events(token: String, query: String = "") async throws -> [JSONValue] {
            var found: [JSONValue] = []
            var cursor: String?
            for _ in 0..<1000 {
                let path = "/v1/events?limit=500" + (query.isEmpty ? "" : "&" + query) + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try await send(path, token: token)
                try #require(reply.status == 200, "\(reply.status) \(reply.text)")
                guard case .array(let events)? = reply.json?["events"] else { return found }
                found += events
                guard let next = reply.json?["next"]?.stringValue else { break }
                cursor = next
            }
            return found
        }

        /// Opens `/v1/tail` and collects `count` events (id, line), or fails after `timeout`.
        func tail(
            token: String, lastEventID: String? = nil, query: String = "", count: Int, timeout: Duration = .seconds(20),
            whenOpen: @escaping @Sendable () async throws -> Void = {}
        ) async throws -> [(id: String, data: JSONValue)] {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/tail" + (query.isEmpty ? "" : "?" + query))
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
            try #require(response.status.code == 200)
            return try await withThrowingTaskGroup(of: [(id: String, data: JSONValue)].self) { group in
                group.addTask {
                    var events: [(id: String, data: JSONValue)] = []
                    var pending: [UInt8] = []
                    var id = ""
                    var data: [UInt8] = []
                    for try await buffer in response.body {
                        pending += buffer.readableBytesView
                        while let newline = pending.firstIndex(of: 0x0A) {
                            let line = Array(pending[..<newline])
                            pending.removeSubrange(...newline)
                            if line.isEmpty {
                                if !data.isEmpty { events.append((id, try JSONParser.parse(data))) }
                                data = []
                                if events.count >= count { return events }
                            } else if line.starts(with: Array("id: ".utf8)) {
                                id = String(decoding: line.dropFirst(4), as: UTF8.self)
                            } else if line.starts(with: Array("data: ".utf8)) {
                                data = Array(line.dropFirst(6))
                            }
                        }
                    }
                    return events
                }
                group.addTask {
                    try await whenOpen()
                    try await Task.sleep(for: timeout)
                    return []
                }
                let first = try await group.next() ?? []
                group.cancelAll()
                return first
            }
        }
    }
}

enum HTTPMethodName {
    case GET, POST, DELETE
    var nio: NIOHTTP1.HTTPMethod {
        switch self {
        case .GET: .GET
        case .POST: .POST
        case .DELETE: .DELETE
        }
    }
}

/// A canonical line at `timestamp` (default: now), with an explicit event id.
func keelLine(
    _ id: String, message: String = "an event", at timestamp: Date = Date(), level: String = "INFO",
    extra: String = ""
) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return "{\"timestamp\":\"\(formatter.string(from: timestamp))\",\"level\":\"\(level)\",\"message\":\"\(message)\","
        + "\"event_id\":\"\(id)\"\(extra.isEmpty ? "" : "," + extra)}"
}

/// gzip with the system zlib; `windowBits` -15 gives raw deflate (no header), 15 a zlib stream.
func gzip(_ input: [UInt8], windowBits: Int32 = 15 + 16) -> [UInt8] {
    var stream = z_stream()
    deflateInit2_(&stream, 6, Z_DEFLATED, windowBits, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
    var input = input
    let produced: Int = input.withUnsafeMutableBufferPointer { inBytes in
        output.withUnsafeMutableBufferPointer { outBytes in
            stream.next_in = inBytes.baseAddress
            stream.avail_in = UInt32(inBytes.count)
            stream.next_out = outBytes.baseAddress
            stream.avail_out = UInt32(outBytes.count)
            deflate(&stream, Z_FINISH)
            return outBytes.count - Int(stream.avail_out)
        }
    }
    return Array(output.prefix(produced))
}
