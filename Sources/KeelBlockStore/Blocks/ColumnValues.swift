import Keel

/// One column's values while a block is built: each a span of the block's text (its JSON text as written), and,
/// while there are at most 256 distinct ones, the column's dictionary — built as each value is added, while its line
/// is still in the processor's cache (finding them when the block was written read every line again for each
/// column).
struct ColumnValues {
    /// Each value, in row order.
    private(set) var spans: [Range<Int>] = []
    /// The distinct values in the order first seen, while there are at most 256.
    private(set) var distinct: [Range<Int>] = []
    /// Each value's place in `distinct`.
    private(set) var indexes: [UInt8] = []
    /// More than 256 distinct values: the column is written as they are, and no dictionary is kept.
    private(set) var isPlain = false
    /// The first distinct value with each digest of its ends (``Bytes/digest(_:)``); the rare values whose digests
    /// collide are told apart by comparing them with every distinct value.
    private var firstByDigest: [UInt64: Int] = [:]

    init(capacity: Int) {
        spans.reserveCapacity(capacity)
        indexes.reserveCapacity(capacity)
    }

    /// Adds the value at `span` of `text`. A value equal to the one before it is not looked up (runs are common:
    /// a constant, a level).
    mutating func append(_ span: Range<Int>, of text: UnsafeBufferPointer<UInt8>) {
        defer { spans.append(span) }
        guard !isPlain else { return }
        func bytes(_ span: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: text[span]) }
        if let previous = spans.last, ByteSearch.equal(bytes(span), bytes(previous)) {
            indexes.append(indexes[indexes.count - 1])
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
            isPlain = true
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
