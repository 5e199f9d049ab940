#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits what a file descriptor yields into lines, however long they are.
///
/// Reads in 64 KiB chunks; a line may span any number of chunks (multi-megabyte lines are fine). A line longer
/// than ``maxLineBytes`` is delivered in pieces of that size rather than growing memory without bound. At end
/// of input a final line without a newline is kept until ``finish()`` — so a follower can wait for the writer to
/// complete it.
package struct LineReader {
    package let maxLineBytes: Int
    private var pending: [UInt8] = []
    private var chunk: [UInt8]

    package init(maxLineBytes: Int = 64 << 20, chunkSize: Int = 64 << 10) {
        self.maxLineBytes = maxLineBytes
        self.chunk = [UInt8](repeating: 0, count: chunkSize)
    }

    package enum ReadResult: Equatable {
        /// Read this many bytes (some lines may have been delivered).
        case read(Int)
        case endOfInput
        case failed(errno: Int32)
    }

    /// Reads once from `fd` and calls `onLine` with each complete line (without its newline).
    package mutating func read(from fd: Int32, onLine: (UnsafeRawBufferPointer) -> Void) -> ReadResult {
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 { return errno == EINTR ? .read(0) : .failed(errno: errno) }
        if n == 0 { return .endOfInput }
        chunk.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[0..<n]), onLine: onLine) }
        return .read(n)
    }

    /// Feeds bytes obtained elsewhere.
    package mutating func consume(_ bytes: UnsafeRawBufferPointer, onLine: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 0x0A {
            if pending.isEmpty {
                deliver(UnsafeRawBufferPointer(rebasing: bytes[start..<i]), onLine)
            } else {
                pending.append(contentsOf: bytes[start..<i])
                pending.withUnsafeBytes { deliver($0, onLine) }
                pending.removeAll(keepingCapacity: pending.count < (1 << 20))
            }
            start = i + 1
        }
        if start < bytes.count { pending.append(contentsOf: bytes[start..<bytes.count]) }
        while pending.count > maxLineBytes {
            pending.withUnsafeBytes { onLine(UnsafeRawBufferPointer(rebasing: $0[0..<maxLineBytes])) }
            pending.removeFirst(maxLineBytes)
        }
    }

    /// Delivers a complete line, in pieces of at most ``maxLineBytes``.
    private func deliver(_ line: UnsafeRawBufferPointer, _ onLine: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        repeat {
            let end = min(start + maxLineBytes, line.count)
            onLine(UnsafeRawBufferPointer(rebasing: line[start..<end]))
            start = end
        } while start < line.count
    }

    /// Whether part of a line is waiting for its newline.
    package var hasPartialLine: Bool { !pending.isEmpty }

    /// The bytes of a line read but not yet delivered (it waits for its newline).
    package var pendingBytes: Int { pending.count }

    /// Delivers a final line that has no newline.
    package mutating func finish(onLine: (UnsafeRawBufferPointer) -> Void) {
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { onLine($0) }
        pending.removeAll()
    }

    /// Reads `fd` to its end, line by line (the last one even without a newline), for as long as `proceed` says.
    /// - Returns: the `errno` of a read that failed, or `nil`.
    package mutating func readAll(
        from fd: Int32, while proceed: () -> Bool = { true }, onLine: (UnsafeRawBufferPointer) -> Void
    ) -> Int32? {
        while proceed() {
            switch read(from: fd, onLine: onLine) {
            case .read: continue
            case .endOfInput:
                finish(onLine: onLine)
                return nil
            case .failed(let code): return code
            }
        }
        return nil
    }
}
