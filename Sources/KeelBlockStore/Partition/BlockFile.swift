#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One block on disk, with its filter: `<first arrival>-<last arrival>.kb` in its partition's directory.
///
/// A file is `KBF1`, the filter's length and CRC-32, the filter, then the block (``EventBlock``, which carries its
/// own checksum). It is written to a temporary name, fsync'd, and renamed into place, so a crash leaves either no
/// block or a whole one; the arrival numbers in its name tell a restarted head which of its logged events are in
/// blocks already.
package struct BlockFile: Equatable, Sendable {
    package var firstSeq: Int64
    package var lastSeq: Int64

    static let magic: [UInt8] = Array("KBF1".utf8)
    static let suffix = ".kb"

    package init(firstSeq: Int64, lastSeq: Int64) {
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
    }

    package var name: String { "\(firstSeq)-\(lastSeq)\(Self.suffix)" }

    /// The block file a name stands for; `nil` for any other file.
    package init?(name: String) {
        guard name.hasSuffix(Self.suffix) else { return nil }
        let parts = name.dropLast(Self.suffix.count).split(separator: "-")
        guard parts.count == 2, let first = Int64(parts[0]), let last = Int64(parts[1]), first <= last else { return nil }
        self.init(firstSeq: first, lastSeq: last)
    }

    /// The file's bytes for `rows` (arrival numbers `firstSeq...lastSeq`).
    package static func contents(_ rows: [some EventBlock.Source]) throws(BlockError) -> [UInt8] {
        let (block, made) = try EventBlock.encodeWithFilter(rows)
        let filter = made.bytes
        var out = ByteWriter()
        out.bytes = magic
        out.uvarint(filter.count)
        out.uint32(checksum(filter[...]))
        out.bytes += filter
        out.bytes += block
        return out.bytes
    }

    /// The filter and the block of a file's bytes, checked.
    package static func read(_ bytes: [UInt8]) throws(BlockError) -> (filter: BlockFilter, block: [UInt8]) {
        var reader = ByteReader(bytes)
        for byte in magic { guard try reader.byte() == byte else { throw .corrupt("not a Keel block file") } }
        let length = try reader.count(atMost: bytes.count)
        let sum = try reader.uint32()
        let range = try reader.data(length: length)
        guard checksum(bytes[range]) == sum, let filter = BlockFilter(bytes: bytes[range]) else {
            throw .corrupt("the block's filter fails its checksum")
        }
        return (filter, Array(bytes[reader.offset...]))
    }

    /// The filter and the block's header of the file at `path`, read from the start of the file only: what a
    /// partition keeps of each block to decide, without reading it, whether a query or an append needs it.
    package static func index(_ path: String) throws -> (filter: BlockFilter, header: EventBlock.Header) {
        let file = try DurableFiles.OpenFile(path)
        // The magic, the filter's length (a varint of at most five bytes) and its CRC; then the filter and no more of
        // the block than its header.
        var reader = ByteReader(try file.read(at: 0, count: magic.count + 9))
        for byte in magic { guard try reader.byte() == byte else { throw BlockError.corrupt("not a Keel block file") } }
        let length = try reader.count(atMost: file.size)
        let sum = try reader.uint32()
        let start = reader.offset
        let bytes = try file.read(at: start, count: length + EventBlock.longestHeader)
        guard bytes.count >= length, checksum(bytes[..<length]) == sum, let filter = BlockFilter(bytes: bytes[..<length]) else {
            throw BlockError.corrupt("the block's filter fails its checksum")
        }
        return (filter, try EventBlock.header(Array(bytes[length...]), length: file.size - start - length))
    }
}
