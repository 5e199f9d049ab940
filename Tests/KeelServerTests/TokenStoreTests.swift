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
            for _ in 0..<32 { group.addTask { (try? fresh.record(for: token)) != nil } }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(found == 32)
        #expect(throws: TokenStore.Refusal.unknown) { try fresh.record(for: "keel_unknown") }
        // Stored hashed, never in clear, and readable only by the owner.
        let file = try String(contentsOfFile: fresh.path, encoding: .utf8)
        #expect(!file.contains(token))
        let mode = try FileManager.default.attributesOfItem(atPath: fresh.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func revokedAndExpiredTokensAreRefusedAndUseIsRecorded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-tokens-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = TokenStore(dataDirectory: directory)
        let kept = try store.create(tenant: "t", role: .read)
        let revoked = try store.create(tenant: "t", role: .ingest)
        let expiring = try store.create(tenant: "t", role: .read, expires: Date().addingTimeInterval(3600))
        #expect(try store.record(for: revoked.token).id == revoked.record.id)
        // Revoked through another instance (the command line), seen by this one (the server) at once.
        try TokenStore(dataDirectory: directory).revoke(id: revoked.record.id)
        #expect(throws: TokenStore.Refusal.revoked) { try store.record(for: revoked.token) }
        #expect(throws: TokenError.self) { try store.revoke(id: "tok_nonexistent") }
        #expect(try store.record(for: expiring.token, now: Date()).id == expiring.record.id)
        #expect(throws: TokenStore.Refusal.expired) { try store.record(for: expiring.token, now: Date().addingTimeInterval(3601)) }
        // Last use, written out for `keel token list`.
        _ = try store.record(for: kept.token)
        store.flushUsage()
        #expect(store.lastUsage()[kept.record.id] != nil)
        #expect(TokenStore(dataDirectory: directory).lastUsage()[kept.record.id] != nil)
    }
}
