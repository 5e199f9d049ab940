import Crypto
public import Foundation
import Keel
import KeelStore
import Synchronization

/// API tokens, kept in `<data>/tokens.json` as SHA-256 hashes: the token itself is shown once, when created, and
/// never stored.
///
/// `keel token create` writes the file while the server may be running; the server re-reads it when it sees a token
/// it does not know and the file has changed, so a new token works at once.
public final class TokenStore: Sendable {
    public struct Record: Codable, Sendable, Equatable {
        public var id: String
        public var tenant: String
        public var role: Role
        /// SHA-256 of the token, hex.
        public var hash: String
        public var created: String
    }

    public let path: String
    private let cache = Mutex<(modified: Date?, byHash: [String: Record])>((nil, [:]))

    public init(dataDirectory: String) {
        path = dataDirectory + "/tokens.json"
    }

    /// All tokens' records.
    public func records() throws -> [Record] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try JSONDecoder().decode([Record].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Makes a token for `tenant` with `role`, stores its hash and returns the token (the only time it is seen).
    public func create(tenant: String, role: Role) throws -> (token: String, record: Record) {
        guard TenantName.isValid(tenant) else { throw TokenError.invalidTenant(tenant) }
        let token = "keel_" + Self.randomText(40)
        let record = Record(
            id: "tok_" + Self.randomText(10), tenant: tenant, role: role, hash: Self.hash(token),
            created: ISO8601DateFormatter().string(from: Date()))
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // Read, add and replace under an exclusive lock, so two creators never lose each other's token.
        let lock = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw TokenError.cannotWrite(path) }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN) }
        let all = try records() + [record]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = path + ".tmp"
        try encoder.encode(all).write(to: URL(fileURLWithPath: temporary))
        chmod(temporary, 0o600)
        guard rename(temporary, path) == 0 else { throw TokenError.cannotWrite(path) }
        return (token, record)
    }

    /// The record of `token`, or `nil` when it is not a known token.
    ///
    /// An unknown token re-reads the file if it changed since it was last read — under the lock, so that of two
    /// requests arriving together the second sees what the first loaded.
    public func record(for token: String) -> Record? {
        let hash = Self.hash(token)
        return cache.withLock { cache in
            if let known = cache.byHash[hash] { return known }
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            guard let modified, modified != cache.modified else { return nil }
            let records = (try? self.records()) ?? []
            cache = (modified, Dictionary(records.map { ($0.hash, $0) }, uniquingKeysWith: { first, _ in first }))
            return cache.byHash[hash]
        }
    }

    static func hash(_ token: String) -> String {
        Hex.lowercase(SHA256.hash(data: Array(token.utf8)))
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// `count` characters from 62, uniformly (the system's random source).
    static func randomText(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

public enum TokenError: Error, CustomStringConvertible {
    case invalidTenant(String)
    case cannotWrite(String)

    public var description: String {
        switch self {
        case .invalidTenant(let name): "invalid tenant name \"\(name.prefix(64))\": use 1–64 of A–Z a–z 0–9 _ -"
        case .cannotWrite(let path): "cannot write \(path)"
        }
    }
}
