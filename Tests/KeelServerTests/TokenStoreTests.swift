import Foundation
@testable import KeelServer
@testable import KeelWire
import Testing

@Suite struct TokenStoreTests {
    @Test func requestsArrivingTogetherOnAFreshServerAreAllRecognised() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-tokens-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let token = try TokenStore(dataDirectory: directory).create(tenant: "t", role: .ingest).token
        // A server's store that has never read the file, asked by many requests at once (W2's first 401).
        let fresh = TokenStore(dataDirectory: directory)
        let found = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<32 { group.addTask { fresh.record(for: token) != nil } }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(found == 32)
        #expect(fresh.record(for: "keel_unknown") == nil)
        // Stored hashed, never in clear, and readable only by the owner.
        let file = try String(contentsOfFile: fresh.path, encoding: .utf8)
        #expect(!file.contains(token))
        let mode = try FileManager.default.attributesOfItem(atPath: fresh.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
