import Keel

/// One column's values while a block is built: while there are at most 256 distinct ones, the column's dictionary
/// and each value's place in it — built as each value is added, while its line is still in the processor's cache
/// (finding them when the block was written read every line again for each column) — and beyond that each value,
/// as a span of the block's text (its JSON text as written).
struct ColumnValues {
    /// The distinct values in the order first seen, while there are at most 256.
    private(set) var distinct: [Range<Int>] = []
    /// Each value's place in `distinct`, in row order.
    private(set) var indexes: [UInt8] = []
    /// Each value, in row order, once there are more than 256 distinct ones (and the column is written plain);
    /// empty until then.
    private(set) var spans: [Range<Int>] = []
    /// The first distinct value with each digest of its ends (``Bytes/digest(_:)``); the rare values whose digests
    /// collide are told apart by comparing them with every distinct value.
    private var firstByDigest: [UInt64: Int] = [:]
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        indexes.reserveCapacity(capacity)
    }

    /// Whether the column has more than 256 distinct values.
    var isPlain: Bool { !spans.isEmpty }

    /// Adds the value at `span` of `text`. A value equal to the one before it is not looked up (runs are common:
    /// a constant, a level).
    mutating func append(_ span: Range<Int>, of text: UnsafeBufferPointer<UInt8>) {
        if isPlain {
            spans.append(span)
            return
        }
        func bytes(_ span: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: text[span]) }
        if let previous = indexes.last, ByteSearch.equal(bytes(span), bytes(distinct[Int(previous)])) {
            indexes.append(previous)
            return
        }
        let digest = Bytes.digest(bytes(span))
        if let known = firstByDigest[digest] {
            if ByteSearch.equal(bytes(distinct[known]), bytes(span)) {
                indexes.append(UInt8(known))
                return
            }
            if let found = distinct.firstIndex(where: { ByteSearch.equal(bytes($0), bytes(span)) }) {
                indexes.append(UInt8(found))
                return
            }
        }
        guard distinct.count < 256 else {
            // Each value so far is the distinct one its place names: the same bytes.
            spans.reserveCapacity(max(capacity, indexes.count + 1))
            for index in indexes { spans.append(distinct[Int(index)]) }
            spans.append(span)
            distinct = []
            indexes = []
            firstByDigest = [:]
            return
        }
        if firstByDigest[digest] == nil { firstByDigest[digest] = distinct.count }
        indexes.append(UInt8(distinct.count))
        distinct.append(span)
    }
}
