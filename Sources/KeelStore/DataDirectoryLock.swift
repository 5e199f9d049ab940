#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An exclusive hold on a data directory for as long as one process serves it (`<directory>/keel.lock`, `flock`),
/// so that a second `keel serve` on the same directory — started by mistake, or by a supervisor while the first is
/// still stopping — refuses to start instead of running retention or erasure on files the first still has open.
///
/// The lock is the kernel's: it goes with the process, however it ends (`kill -9` included), so a stale lock file
/// never keeps a restarted server out. The holder writes its pid into the file, for the refusal to name it.
public final class DataDirectoryLock: Sendable {
    public struct Held: Error, CustomStringConvertible {
        public let directory: String
        /// The holder's pid as it wrote it, when it could be read.
        public let pid: Int32?
        public var description: String {
            "\(directory) is in use by another keel process" + (pid.map { " (pid \($0))" } ?? "")
                + "; stop it first, or give this one its own --data directory"
        }
    }

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    public let path: String
    private let descriptor: Int32

    /// Takes the lock on `directory` (created if missing), or throws ``Held`` at once when another process has it.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/keel.lock"
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failed(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            var text = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &text, text.count, 0)
            close(fd)
            guard error == EWOULDBLOCK else { throw Failed(description: "cannot lock \(path): \(String(cString: strerror(error)))") }
            let pid = count > 0 ? Int32(String(decoding: text.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
            throw Held(directory: directory, pid: pid)
        }
        descriptor = fd
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
