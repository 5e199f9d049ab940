#if canImport(Glibc)
import Glibc
#endif
import Keel

/// Writing whole files from the command line.
enum FileWriting {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Replaces `path` atomically: writes a temporary file beside it, then renames it over the original.
    static func replaceContents(of path: String, with text: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: FileDescriptorIO.describe(errno)) }
        var text = text
        let failure = text.withUTF8 { FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer($0)) }
        close(fd)
        if let failure {
            unlink(temporary)
            throw Failure(description: FileDescriptorIO.describe(failure))
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw Failure(description: FileDescriptorIO.describe(code))
        }
    }
}
