package import Keel

/// Redacts NDJSON line by line: a JSON line goes through the engine straight from its bytes
/// (``Redactor/redactJSON(_:to:maxDepth:)``), anything else is redacted as plain text.
///
/// Output goes through a buffer written out in large blocks, so a multi-gigabyte file costs one `write(2)` per
/// 64 KiB. Every input line yields exactly one output line, in order.
package final class RedactStream {
    package let redactor: Redactor
    private let fd: Int32
    private var out = OutputBuffer(capacity: 64 << 10)
    package private(set) var lines = 0
    package private(set) var redactedLines = 0
    /// Set when writing failed (a closed pipe): the caller should stop.
    package private(set) var outputFailed = false

    package init(redactor: Redactor, fd: Int32 = 1) {
        self.redactor = redactor
        self.fd = fd
    }

    deinit { out.deallocate() }

    /// Redacts one line (without its newline) and queues the result.
    package func handle(_ line: UnsafeRawBufferPointer) {
        lines += 1
        if let types = try? redactor.redactJSON(line, to: &out) {
            if !types.isEmpty { redactedLines += 1 }
        } else {
            let text = String(decoding: line, as: UTF8.self)
            var types: [RedactionType] = []
            let redacted = redactor.redactString(text, types: &types)
            if !types.isEmpty { redactedLines += 1 }
            // Plain text stays plain, but can never carry a control character into the output.
            out.appendRaw(TextRenderer.sanitise(redacted))
        }
        out.append(UInt8(ascii: "\n"))
        if out.count >= 60 << 10 { flush() }
    }

    /// Writes out what is queued.
    package func flush() {
        guard out.count > 0, !outputFailed else { return }
        if out.withUnsafeBytes({ FileDescriptorIO.writeAll(fd, $0) }) != nil { outputFailed = true }
        out.removeAll()
    }
}
