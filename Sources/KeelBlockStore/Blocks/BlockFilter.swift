import Foundation
import Keel
package import KeelStore

/// What a block may hold, tested without reading it: the trigrams of its messages, its id values and its events'
/// keys (``EventKey``), in one Bloom filter (~0.1 % false positives). A word, a phrase, a substring of three bytes or more, or an id skips
/// every block whose filter says no, and so does an append's duplicate check; the blocks left are read and their
/// lines checked.
///
/// Messages are folded before their trigrams are taken (``fold(_:)``), and a search folds its text the same way, so
/// any text a message contains, in any case, has all of its trigrams in the message's block.
package struct BlockFilter: Equatable, Sendable {
    package let bloom: BloomFilter

    /// ~0.1 % false positives: a day of a million events has some 250 blocks, and at 1 % an id lookup would decode
    /// two or three blocks that do not hold the id, besides the one that does.
    static let bitsPerValue = 15

    /// The filter of `rows`, each line read on its own: the trigrams of each message, each id value, each event's
    /// key. (A block being encoded gets the same filter from its columns' parse: ``EventBlock/encode(_:)``.)
    package init(rows: [EventBlock.Row]) {
        var builder = FilterBuilder()
        for row in rows { row.line.withUnsafeBufferPointer { builder.add(line: $0, timestamp: row.timestamp) } }
        self = builder.filter()
    }

    init(bloom: BloomFilter) {
        self.bloom = bloom
    }

    package init?(bytes: ArraySlice<UInt8>) {
        guard let bloom = BloomFilter(bytes: bytes) else { return nil }
        self.bloom = bloom
    }

    package var bytes: [UInt8] { bloom.bytes }

    /// Whether a message of the block may contain `text` (ignoring case); always for text under three bytes.
    package func mightContain(text: String) -> Bool { mightContain(all: Self.probes(ids: [], text: text)) }

    /// The probes that ask a filter whether its block may hold an event with each of `ids` and a message containing
    /// `text` (ignoring case; text under three bytes asks nothing): what a read tests every block's filter with, made
    /// once.
    package static func probes(ids: [(field: IDField, value: String)], text: String?) -> [BloomFilter.Probe] {
        var probes = ids.map { BloomFilter.Probe($0.field, $0.value) }
        if let text { trigrams(of: text) { probes.append(BloomFilter.Probe(token: $0)) } }
        return probes
    }

    /// Whether the block may hold what each of `probes` (``probes(ids:text:)``) asks for.
    package func mightContain(all probes: [BloomFilter.Probe]) -> Bool {
        probes.allSatisfy { bloom.mightContain($0) }
    }

    /// Whether the block may hold an event with `value` in `field`.
    package func mightContain(_ field: IDField, _ value: String) -> Bool { bloom.mightContain(BloomFilter.Probe(field, value)) }

    /// Whether the block may hold an event with this key.
    package func mightContain(_ key: EventKey) -> Bool { bloom.mightContain(key.probe) }

    /// Text as searches compare it: case folded (Unicode's rules, as `/v1/events` text search ignores case).
    package static func fold(_ text: String) -> String { text.folding(options: [.caseInsensitive], locale: nil) }

    /// Each three-byte window of `text`'s folded UTF-8 (a text that contains another contains all of its windows).
    static func trigrams(of text: String, _ body: (ArraySlice<UInt8>) -> Void) {
        let bytes = Array(fold(text).utf8)
        guard bytes.count >= 3 else { return }
        for start in 0...(bytes.count - 3) { body(bytes[start..<(start + 3)]) }
    }
}
