import Crypto
public import Logging

/// What may be logged about a payload — a prompt, a tool's input or output, a request body: its size and a hash,
/// so that identical payloads can be recognised and sizes tracked, but never the content.
public struct PayloadSummary: Sendable, Hashable {
    /// The payload's length in bytes.
    public let bytes: Int
    /// The first 16 hex digits (64 bits) of the SHA-256 of its bytes.
    public let sha256: String

    public init(_ bytes: some Collection<UInt8>) {
        self.bytes = bytes.count
        let digest = bytes.withContiguousStorageIfAvailable { SHA256.hash(data: $0) } ?? SHA256.hash(data: Array(bytes))
        self.sha256 = Hex.lowercase(digest.prefix(8))
    }

    /// The summary of `text`'s UTF-8 bytes.
    public init(_ text: String) {
        self.init(text.utf8)
    }

    func add(as prefix: String, to metadata: inout Logger.Metadata) {
        metadata["\(prefix)_bytes"] = .stringConvertible(bytes)
        metadata["\(prefix)_sha256"] = .string(sha256)
    }
}
