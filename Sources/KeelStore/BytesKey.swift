/// Bytes as a dictionary key, hashed in one pass over them: an array of bytes hashes each byte on its own, which
/// cost more than the lookups it was for (a LogQL result grouped into streams by its label bytes, a block's distinct
/// messages).
package struct BytesKey: Hashable, Sendable {
    package let bytes: [UInt8]

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    package func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    package static func == (a: BytesKey, b: BytesKey) -> Bool { a.bytes == b.bytes }
}
