/// Cuts a stream of byte chunks into lines, holding at most `maximumLineBytes` of a line: the rest of a longer
/// line is counted but not kept, so a worker printing without newlines cannot grow the supervisor's memory.
struct LineSplitter {
    let maximumLineBytes: Int
    private var pending: [UInt8] = []
    private var pendingLength = 0

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    /// Calls `line` with each complete line in `chunk` (without its `\n`) and the line's full length.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ line: (ArraySlice<UInt8>, Int) -> Void) {
        var start = 0
        while start < chunk.count {
            if let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
                keep(UnsafeRawBufferPointer(rebasing: chunk[start..<newline]))
                line(pending[...], pendingLength)
                pending.removeAll(keepingCapacity: true)
                pendingLength = 0
                start = newline + 1
            } else {
                keep(UnsafeRawBufferPointer(rebasing: chunk[start...]))
                start = chunk.count
            }
        }
    }

    /// The unterminated last line at the end of the stream, if any.
    mutating func finish(_ line: (ArraySlice<UInt8>, Int) -> Void) {
        if pendingLength > 0 { line(pending[...], pendingLength) }
        pending.removeAll()
        pendingLength = 0
    }

    private mutating func keep(_ bytes: UnsafeRawBufferPointer) {
        pendingLength += bytes.count
        let room = maximumLineBytes - pending.count
        if room > 0 { pending.append(contentsOf: bytes.prefix(room)) }
    }
}
