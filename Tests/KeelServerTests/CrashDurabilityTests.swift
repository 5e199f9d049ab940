import AsyncHTTPClient
import Foundation
import Keel
@testable import KeelServer
@testable import KeelWire
import NIOCore
import NIOHTTP1
import Testing

/// `kill -9` of a real `keel serve` process while it ingests: after a restart every acknowledged event is there, and
/// a batch that was in flight is there whole or not at all.
@Suite struct CrashDurabilityTests {
    /// The `keel` binary `swift build` made beside these tests.
    static let binary: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/keel").path
    }()

    final class Serve: @unchecked Sendable {
        let process = Process()
        let port: Int

        init(directory: String, store: [String]) throws {
            port = Int.random(in: 20_000..<60_000)
            process.executableURL = URL(fileURLWithPath: CrashDurabilityTests.binary)
            process.arguments = ["serve", "--data", directory, "--listen", "127.0.0.1:\(port)"] + store
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// Waits until `/healthz` answers (or the process has died).
        func ready() async -> Bool {
            for _ in 0..<300 {
                guard process.isRunning else { return false }
                let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
                if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok {
                    return true
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Starts a server, retrying on another port if the random one was taken.
    static func start(_ directory: String, store: [String] = []) async throws -> Serve {
        for _ in 0..<5 {
            let serve = try Serve(directory: directory, store: store)
            if await serve.ready() { return serve }
            serve.kill9()
        }
        throw CancellationError()
    }

    final class Ledger: @unchecked Sendable {
        private let lock = NSLock()
        private var acknowledged: [[String]] = []
        private var unanswered: [[String]] = []
        func ack(_ ids: [String]) { lock.withLock { acknowledged.append(ids) } }
        func lost(_ ids: [String]) { lock.withLock { unanswered.append(ids) } }
        var snapshot: (acknowledged: [[String]], unanswered: [[String]]) { lock.withLock { (acknowledged, unanswered) } }
    }

    /// On each store; the block store with 64-event blocks flushed every 50 ms, so that the kill lands among flushes
    /// and merges.
    @Test(arguments: [["--store", "sqlite"], ["--store", "blocks", "--block-rows", "64", "--flush-after", "0.05"]])
    func everyAcknowledgedEventSurvivesKillNine(store: [String]) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build keel first: swift build (scripts/test does)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-crash-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokens = TokenStore(dataDirectory: directory)
        let ingest = try tokens.create(tenant: "crash", role: .ingest).token
        let read = try tokens.create(tenant: "crash", role: .read).token
        let first = try await Self.start(directory, store: store)
        let ledger = Ledger()
        // Two senders, 200-event batches, for at most 400 batches or until the kill.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<2 {
                group.addTask {
                    for batch in 0..<200 {
                        let ids = (0..<200).map { "s\(sender)-b\(batch)-e\($0)" }
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(first.port)/v1/events")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(ingest)")
                        request.body = .bytes(ByteBuffer(string: ids.map { keelLine($0) }.joined(separator: "\n")))
                        do {
                            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            guard response.status == .ok else { ledger.lost(ids); return }
                            ledger.ack(ids)
                        } catch {
                            ledger.lost(ids)
                            return
                        }
                    }
                }
            }
            group.addTask {
                // Kill once a good number of batches are in, mid-stream.
                for _ in 0..<400 where ledger.snapshot.acknowledged.count < 30 { try await Task.sleep(for: .milliseconds(25)) }
                first.kill9()
            }
            try await group.waitForAll()
        }
        let (acknowledged, unanswered) = ledger.snapshot
        #expect(acknowledged.count >= 30)

        let second = try await Self.start(directory, store: store)
        defer { second.kill9() }
        var stored = Set<String>()
        var cursor: String?
        for _ in 0..<1000 {
            var request = HTTPClientRequest(
                url: "http://127.0.0.1:\(second.port)/v1/events?limit=10000&from=2000-01-01T00:00:00Z" + (cursor.map { "&cursor=\($0)" } ?? ""))
            request.headers.add(name: "Authorization", value: "Bearer \(read)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let page = try JSONParser.parse(Array(try await response.body.collect(upTo: 256 << 20).readableBytesView))
            guard case .array(let events)? = page["events"] else { break }
            for event in events { if let id = event["event_id"]?.stringValue { stored.insert(id) } }
            guard let next = page["next"]?.stringValue else { break }
            cursor = next
        }
        let missing = acknowledged.joined().filter { !stored.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) acknowledged events lost, e.g. \(missing.prefix(3))")
        for batch in unanswered {
            let present = batch.filter(stored.contains).count
            #expect(present == 0 || present == batch.count, "an unacknowledged batch is all there or not at all (\(present))")
        }
    }
}
