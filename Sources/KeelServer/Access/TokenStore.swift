import Crypto
public import Foundation
import Keel
import KeelBlockStore
import KeelStore
import Synchronization

/// API tokens, kept in `<data>/tokens.json` as SHA-256 hashes: the token itself is shown once, when created, and
/// never stored.
///
/// `keel token create` and `keel token revoke` write the file while the server may be running; the server looks at
/// the file's identity (inode, size, modification time) on every lookup and re-reads it when it changed, so a new
/// token works and a revoked one stops working at once, without a restart.
///
/// The server remembers when each token was last used and writes it to `<data>/token-usage.json` at most once a
/// minute (`keel token list` shows it), so authentication never writes the tokens file.
public final class TokenStore: Sendable {
    public struct Record: Codable, Sendable, Equatable {
        public var id: String
        public var tenant: String
        public var role: Role
        /// SHA-256 of the token, hex.
        public var hash: String
        public var created: String
        /// RFC 3339; the token is refused from then on.
        public var expires: String?
        /// RFC 3339, when `keel token revoke` was run; the token is refused from then on.
        public var revoked: String?
    }

    /// Why a known token is refused.
    public enum Refusal: Error, Equatable {
        case unknown, revoked, expired
    }

    public let path: String
    private let usagePath: String
    /// The records by hash, as of the file whose identity is `file`.
    private let cache = Mutex<(file: FileIdentity?, byHash: [String: Record])>((nil, [:]))
    /// Last use by token id, and when it was last written out.
    private let usage = Mutex<(lastUsed: [String: Date], written: Date, dirty: Bool)>(([:], .distantPast, false))

    public init(dataDirectory: String) {
        path = dataDirectory + "/tokens.json"
        usagePath = dataDirectory + "/token-usage.json"
    }

    /// What tells one version of the tokens file from another without reading it.
    struct FileIdentity: Equatable {
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var modifiedNanoseconds: Int64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            #if canImport(Darwin)
            modified = Int64(info.st_mtimespec.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtimespec.tv_nsec)
            #else
            modified = Int64(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
            #endif
        }
    }

    /// All tokens' records.
    public func records() throws -> [Record] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try JSONDecoder().decode([Record].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Makes a token for `tenant` with `role` (valid until `expires`, if given), stores its hash and returns the
    /// token (the only time it is seen).
    public func create(tenant: String, role: Role, expires: Date? = nil) throws -> (token: String, record: Record) {
        guard TenantName.isValid(tenant) else { throw TokenError.invalidTenant(tenant) }
        let token = "keel_" + Self.randomText(40)
        let record = Record(
            id: "tok_" + Self.randomText(10), tenant: tenant, role: role, hash: Self.hash(token),
            created: ISO8601DateFormatter().string(from: Date()), expires: expires.map { ISO8601DateFormatter().string(from: $0) })
        try rewrite { $0.append(record) }
        return (token, record)
    }

    /// Revokes the token with id `id`: refused from the next request on, by a running server too. Returns the
    /// record as revoked; throws when no token has that id.
    @discardableResult
    public func revoke(id: String) throws -> Record {
        var revoked: Record?
        try rewrite { records in
            guard let index = records.firstIndex(where: { $0.id == id }) else { return }
            if records[index].revoked == nil { records[index].revoked = ISO8601DateFormatter().string(from: Date()) }
            revoked = records[index]
        }
        guard let revoked else { throw TokenError.unknownID(id) }
        return revoked
    }

    /// Reads, changes and replaces the file under an exclusive lock, so two writers never lose each other's change.
    private func rewrite(_ change: (inout [Record]) -> Void) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let lock = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw TokenError.cannotWrite(path) }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN) }
        var all = try records()
        change(&all)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Created 0600 (never readable by others, not even for a moment), fsync'd and renamed over the old: a
        // revocation survives a crash right after it.
        do {
            try DurableFiles.write(Array(try encoder.encode(all)), to: path, mode: 0o600)
        } catch {
            throw TokenError.cannotWrite(path)
        }
    }

    /// The record of `token`, or why it is refused. The file is re-read whenever it changed (a token created or
    /// revoked since), under the lock, so that of two requests arriving together the second sees what the first
    /// loaded.
    public func record(for token: String, now: Date = Date()) throws(Refusal) -> Record {
        let hash = Self.hash(token)
        let found: Record? = cache.withLock { cache in
            let file = FileIdentity(path: path)
            if file != cache.file {
                let records = (try? self.records()) ?? []
                cache = (file, Dictionary(records.map { ($0.hash, $0) }, uniquingKeysWith: { first, _ in first }))
            }
            return cache.byHash[hash]
        }
        guard let record = found else { throw .unknown }
        if record.revoked != nil { throw .revoked }
        if let expires = record.expires {
            // An expiry that cannot be read (a hand-edited file) is treated as passed: refused, never open-ended.
            guard let time = Timestamp(rfc3339: expires), Double(time.microsecondsSinceEpoch) / 1e6 > now.timeIntervalSince1970
            else { throw .expired }
        }
        noteUse(of: record.id, at: now)
        return record
    }

    /// Remembers that `id` was used, writing the usage file at most once a minute.
    private func noteUse(of id: String, at now: Date) {
        let snapshot: [String: Date]? = usage.withLock { usage in
            usage.lastUsed[id] = now
            usage.dirty = true
            guard now.timeIntervalSince(usage.written) >= 60 else { return nil }
            usage.written = now
            usage.dirty = false
            return usage.lastUsed
        }
        if let snapshot { writeUsage(snapshot) }
    }

    /// Writes what is remembered of last use now (the server calls it when it stops).
    public func flushUsage() {
        let snapshot: [String: Date]? = usage.withLock { usage in
            guard usage.dirty else { return nil }
            usage.dirty = false
            usage.written = Date()
            return usage.lastUsed
        }
        if let snapshot { writeUsage(snapshot) }
    }

    private func writeUsage(_ lastUsed: [String: Date]) {
        var merged = lastUsage()
        let formatter = ISO8601DateFormatter()
        for (id, date) in lastUsed { merged[id] = formatter.string(from: date) }
        guard let data = try? JSONEncoder().encode(merged) else { return }
        try? data.write(to: URL(fileURLWithPath: usagePath), options: .atomic)
    }

    /// When each token was last used (RFC 3339, to the minute), by id, as the server last wrote it.
    public func lastUsage() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: usagePath) else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
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
    case unknownID(String)

    public var description: String {
        switch self {
        case .invalidTenant(let name): "invalid tenant name \"\(name.prefix(64))\": use 1–64 of A–Z a–z 0–9 _ -"
        case .cannotWrite(let path): "cannot write \(path)"
        case .unknownID(let id): "no token has id \(id.prefix(64)) (keel token list shows them)"
        }
    }
}
