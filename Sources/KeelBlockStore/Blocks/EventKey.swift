import Keel
package import KeelStore

/// What makes an append idempotent: an event's time and its `event_id`. A second event with the key of a stored one
/// is a duplicate (a retried batch), whether the first is still in the head or already in a block.
///
/// A key hashes as a digest of both, made once: every append looks its keys up three or four times (in its batch,
/// in the head, into the head, out of it on a flush), and hashing the id's text each time had cost more than the
/// lookups. The digest is the process's seeded hash (a sender chooses its ids: a fixed hash would let it send
/// thousands that collide), never stored. Keys are equal only when their times and ids are.
package struct EventKey: Hashable, Sendable {
    package let timestamp: Int64
    package let eventID: String
    private let digest: Int

    package init(timestamp: Int64, eventID: String) {
        self.timestamp = timestamp
        self.eventID = eventID
        var hasher = Hasher()
        hasher.combine(timestamp)
        var id = eventID
        id.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        digest = hasher.finalize()
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    package static func == (a: EventKey, b: EventKey) -> Bool {
        // Ids whose bytes differ have different digests (nearly always) and are told apart by them; `==` on the
        // text then only confirms equal bytes, fast for the ASCII ids events carry.
        a.digest == b.digest && a.timestamp == b.timestamp && a.eventID == b.eventID
    }

    /// The key of a stored line: its time and its `event_id` member.
    package init(timestamp: Int64, line: UnsafeBufferPointer<UInt8>) {
        var members: [JSONReader.Member] = []
        var found = ""
        LineStrings.each(of: line, keys: [Array("event_id".utf8)], into: &members) { _, value in found = value }
        self.init(timestamp: timestamp, eventID: found)
    }

    package init(timestamp: Int64, line: [UInt8]) {
        self = line.withUnsafeBufferPointer { EventKey(timestamp: timestamp, line: $0) }
    }

    package init(timestamp: Int64, line: String) {
        var line = line
        self = line.withUTF8 { EventKey(timestamp: timestamp, line: $0) }
    }

    /// The key in a block's filter: the time's eight bytes, then 0xFF (never in UTF-8, so never in a message's
    /// trigram), then the id.
    var probe: BloomFilter.Probe {
        var bytes: [UInt8] = []
        Self.probeBytes(timestamp: timestamp, eventID: eventID.utf8, into: &bytes)
        return BloomFilter.Probe(token: bytes)
    }

    /// What a key's probe hashes, appended to `bytes`.
    static func probeBytes(timestamp: Int64, eventID: some Collection<UInt8>, into bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + 9 + eventID.count)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: timestamp >> Int64(shift))) }
        bytes.append(0xFF)
        bytes += eventID
    }
}
