#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Keel

/// Writes what `keel tail` shows: each line judged by the filter, rendered, and written to a descriptor.
package final class TailPrinter {
    package enum Style: Sendable { case pretty, json }

    let filter: TailFilter
    package let style: Style
    private let renderer: TextRenderer
    private let fd: Int32
    /// Set once the reader of our output went away (closed pipe): the caller should stop.
    package private(set) var outputClosed = false
    package private(set) var shown = 0

    package init(filter: TailFilter, style: Style, colour: Bool, fd: Int32 = 1) {
        self.filter = filter
        self.style = style
        self.renderer = TextRenderer(colour: colour)
        self.fd = fd
    }

    /// Judges and prints one line (without its newline).
    package func handle(_ line: UnsafeRawBufferPointer) {
        guard !outputClosed else { return }
        var text: String
        switch filter.judge(line) {
        case .hidden:
            return
        case .event(let value):
            text = style == .json ? String(decoding: line, as: UTF8.self) : renderer.render(event: value)
        case .plain(let raw):
            text = style == .json ? raw : renderer.render(line: raw)
        }
        text += "\n"
        let failure = text.withUTF8 { FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer($0)) }
        if failure != nil { outputClosed = true } else { shown += 1 }
    }
}
