import Keel
import KeelStore

/// Gathers what a block's filter holds (``BlockFilter``) while its columns are built, from the members the line's
/// one parse found: each message (distinct ones only, as messages are mostly templates), each id value, each event's
/// key. A line the columns keep whole is read on its own (``LineStrings``). Either way the filter is the one
/// ``BlockFilter/init(rows:)`` makes of the same lines.
struct FilterBuilder {
    /// What a member's value is to the filter.
    enum Role {
        case message, eventID
        case id(IDField)

        init?(key: some Collection<UInt8>) {
            if key.elementsEqual("message".utf8) {
                self = .message
            } else if key.elementsEqual("event_id".utf8) {
                self = .eventID
            } else if let field = IDField.allCases.first(where: { key.elementsEqual($0.rawValue.utf8) }) {
                self = .id(field)
            } else {
                return nil
            }
        }
    }

    /// The probes of ids and event keys, packed (``BloomFilter/Probe/packed``), repeats included: sorting them once
    /// costs less than hashing each into a set.
    private var probes: [UInt64] = []
    private var messages: Set<BytesKey> = []
    private var lastMessage: [UInt8] = []
    private var scratch: [UInt8] = []
    private var members: [JSONReader.Member] = []

    /// A string member's text, given as it stands in `line` (`value`, quotes included): its bytes when they are plain
    /// ASCII without escapes, else the string read by the one JSON reader.
    mutating func add(_ role: Role, value: Range<Int>, of line: UnsafeBufferPointer<UInt8>, timestamp: Int64) {
        let inner = UnsafeBufferPointer(rebasing: line[(value.lowerBound + 1)..<(value.upperBound - 1)])
        if inner.allSatisfy({ $0 < 0x80 && $0 != 0x5C }) {
            add(role, text: inner, timestamp: timestamp)
        } else {
            var reader = JSONReader(line, maxDepth: 1, repairUTF8: true)
            reader.skip(to: value.lowerBound)
            var text = (try? reader.string()).map { reader.text(of: $0) } ?? ""
            text.withUTF8 { add(role, text: $0, timestamp: timestamp) }
        }
    }

    /// A line the columns keep whole: its members read on their own.
    mutating func add(line row: EventBlock.Row) {
        var found: [(Role, String)] = []
        LineStrings.each(of: row.line, into: &members) { key, value in
            if let role = Role(key: key.utf8) { found.append((role, value)) }
        }
        for (role, var value) in found { value.withUTF8 { add(role, text: $0, timestamp: row.timestamp) } }
    }

    private mutating func add(_ role: Role, text: UnsafeBufferPointer<UInt8>, timestamp: Int64) {
        switch role {
        case .message:
            guard !text.elementsEqual(lastMessage) else { return }
            lastMessage.removeAll(keepingCapacity: true)
            lastMessage.append(contentsOf: text)
            messages.insert(BytesKey(lastMessage))
        case .eventID:
            scratch.removeAll(keepingCapacity: true)
            EventKey.probeBytes(timestamp: timestamp, eventID: text, into: &scratch)
            probes.append(scratch.withUnsafeBufferPointer { BloomFilter.Probe(token: $0) }.packed)
        case .id(let field):
            guard !text.isEmpty else { return }
            probes.append(BloomFilter.Probe(field, bytes: text).packed)
        }
    }

    /// The filter of everything added, sized for its distinct probes.
    func filter() -> BlockFilter {
        var probes = probes
        for message in messages {
            BlockFilter.trigrams(of: String(decoding: message.bytes, as: UTF8.self)) { probes.append(BloomFilter.Probe(token: $0).packed) }
        }
        probes.sort()
        var distinct = 0
        for (index, probe) in probes.enumerated() where index == 0 || probe != probes[index - 1] { distinct += 1 }
        var bloom = BloomFilter(capacity: max(distinct, 64), bitsPerValue: BlockFilter.bitsPerValue)
        for (index, probe) in probes.enumerated() where index == 0 || probe != probes[index - 1] { bloom.insert(BloomFilter.Probe(packed: probe)) }
        return BlockFilter(bloom: bloom)
    }
}
