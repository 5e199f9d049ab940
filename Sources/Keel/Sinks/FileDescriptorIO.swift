#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, retrying wrappers over the system calls sinks use.
package enum FileDescriptorIO {
    /// Writes all of `bytes`, retrying on `EINTR` and partial writes. Returns `errno` on failure, `nil` on success.
    @discardableResult
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard var p = bytes.baseAddress else { return nil }
        var remaining = bytes.count
        while remaining > 0 {
            let n = write(fd, p, remaining)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            p += n
            remaining -= n
        }
        return nil
    }

    /// Whether `fd` is a terminal.
    package static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// The text of an `errno` value.
    package static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    /// Writes one diagnostic line to stderr. Used when a sink fails, never on the normal path.
    package static func reportToStderr(_ message: String) {
        var line = "keel: " + message + "\n"
        line.withUTF8 { _ = writeAll(2, UnsafeRawBufferPointer($0)) }
    }
}
