/// A growable byte buffer that is reused across events, so that encoding a line allocates nothing once warm.
///
/// Not thread-safe: each thread encodes into its own buffer (see ``EncodeScratch``), and sinks copy the bytes out.
/// Storage is released explicitly by the owner with ``deallocate()``; the buffer is a plain struct so that the
/// encoder can take it `inout` once per event, with no exclusivity checks per append.
package struct OutputBuffer: @unchecked Sendable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    /// The number of bytes written.
    package internal(set) var count: Int

    package init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        self.base = .allocate(capacity: self.capacity)
        self.count = 0
    }

    /// Frees the storage. The buffer must not be used afterwards.
    package func deallocate() { base.deallocate() }

    /// Forgets the contents and keeps the storage.
    @inline(__always)
    package mutating func removeAll() { count = 0 }

    /// Cuts the contents back to `newCount` bytes.
    @inline(__always)
    package mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count)
        count = newCount
    }

    /// Shrinks storage that grew beyond `limit` for one huge event, so one outlier does not pin memory forever.
    package mutating func shrink(ifLargerThan limit: Int, to size: Int) {
        guard capacity > limit else { return }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        let keep = min(count, size)
        newBase.update(from: base, count: keep)
        base.deallocate()
        base = newBase
        capacity = size
        count = keep
    }

    @inline(__always)
    package mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    @inline(never)
    mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    package mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    package mutating func append(_ a: UInt8, _ b: UInt8) {
        reserve(2)
        base[count] = a
        base[count + 1] = b
        count += 2
    }

    @inline(__always)
    package mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).update(from: src, count: bytes.count)
        count += bytes.count
    }

    /// Appends `"bytes"`: text already known to need no escaping, with one capacity check.
    @inline(__always)
    package mutating func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count &+ 2)
        base[count] = UInt8(ascii: "\"")
        if let src = bytes.baseAddress { (base + (count &+ 1)).update(from: src, count: bytes.count) }
        base[count &+ 1 &+ bytes.count] = UInt8(ascii: "\"")
        count &+= bytes.count &+ 2
    }

    @inline(__always)
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        append(bytes.bindMemory(to: UInt8.self))
    }

    /// Appends bytes known at compile time (keys, punctuation).
    @inline(__always)
    package mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// Appends a string's UTF-8 bytes as they are, without escaping.
    @inline(__always)
    package mutating func appendRaw(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// Appends the contents of a byte array.
    package mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// The bytes written so far; valid only inside `body`.
    @inline(__always)
    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of the contents (for tests and cold paths).
    package var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Reads the byte at `index`.
    @inline(__always)
    package subscript(index: Int) -> UInt8 { base[index] }
}
