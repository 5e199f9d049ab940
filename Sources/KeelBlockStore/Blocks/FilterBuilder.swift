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

    /// The probes of ids and event keys, packed (``BloomFilter/Probe/packed``): a value equal to the one before it in
    /// its field (a user's or a trace's run of events) is left out, other repeats are kept. The filter is sized for
    /// all of them, so a repeat costs a few bits of room, never a false positive more; finding every repeat (a
    /// sort, or a set) cost a block more than its room.
    private var probes: [UInt64] = []
    /// The last probe of each id field, by its slot in ``FieldSpans`` (``FieldSpans/slot(of:)``).
    private var lastIDs = [UInt64?](repeating: nil, count: IDField.allCases.count + 1)
    private var messages: Set<BytesKey> = []
    private var lastMessage: [UInt8] = []
    private var scratch: [UInt8] = []
    private var members: [JSONReader.Member] = []

    /// A string member's text, given as it stands in `line` (`value`, quotes included): its bytes when it holds no
    /// escape (a line a block is given is valid UTF-8: it was checked when it was acknowledged), else the string read
    /// by the one JSON reader.
    mutating func add(_ role: Role, value: Range<Int>, escaped: Bool, of line: UnsafeBufferPointer<UInt8>, timestamp: Int64) {
        if !escaped {
            add(role, text: UnsafeBufferPointer(rebasing: line[(value.lowerBound + 1)..<(value.upperBound - 1)]), timestamp: timestamp)
        } else {
            var reader = JSONReader(line, maxDepth: 1, repairUTF8: true)
            reader.skip(to: value.lowerBound)
            var text = (try? reader.string()).map { reader.text(of: $0) } ?? ""
            text.withUTF8 { add(role, text: $0, timestamp: timestamp) }
        }
    }

    /// A line the columns keep whole, of a row at `timestamp`: its members read on their own.
    mutating func add(line: UnsafeBufferPointer<UInt8>, timestamp: Int64) {
        var found: [(Role, String)] = []
        LineStrings.each(of: line, into: &members) { key, value in
            if let role = Role(key: key.utf8) { found.append((role, value)) }
        }
        for (role, var value) in found { value.withUTF8 { add(role, text: $0, timestamp: timestamp) } }
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
            let probe = BloomFilter.Probe(field, bytes: text).packed
            let slot = FieldSpans.slot(of: field)
            guard probe != lastIDs[slot] else { return }
            lastIDs[slot] = probe
            probes.append(probe)
        }
    }

    /// The filter of everything added, sized for its probes (the trigrams of distinct messages, themselves distinct).
    func filter() -> BlockFilter {
        var trigrams: Set<UInt64> = []
        for message in messages {
            BlockFilter.trigrams(of: String(decoding: message.bytes, as: UTF8.self)) { trigrams.insert(BloomFilter.Probe(token: $0).packed) }
        }
        var bloom = BloomFilter(capacity: max(probes.count + trigrams.count, 64), bitsPerValue: BlockFilter.bitsPerValue)
        for probe in probes { bloom.insert(BloomFilter.Probe(packed: probe)) }
        for probe in trigrams { bloom.insert(BloomFilter.Probe(packed: probe)) }
        return BlockFilter(bloom: bloom)
    }
}
