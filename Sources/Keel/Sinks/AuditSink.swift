#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import Logging
import Synchronization

/// The append-only, hash-chained audit log (``AuditChain``): every record carries `seq`, `prev_hash` and `hash`,
/// a checkpoint with an HMAC under the operator's key is written every ``checkpointEvery`` records or
/// ``checkpointInterval``, and ``close()`` seals the log with a last checkpoint. `keel verify` checks all of it.
///
/// Records are written one `write(2)` each, unbuffered, and synced to disk per ``Sync``: by default once per batch
/// the pipeline hands over (after each line with synchronous delivery, as in `keel pipe`; once for everything the
/// writer thread took from the queue with background delivery), so a record is on disk before the pipeline moves
/// on to the next batch, and a busy log pays one `fsync` per batch instead of one per record.
///
/// On start-up a torn last line (a crash mid-write) is moved aside to `<path>.torn-<time>`, reported, and the chain
/// continues from the last whole record. Checkpoints can also be appended to a second file or to standard output
/// (``checkpointCopy``, `-` for stdout), kept elsewhere: `keel verify --checkpoints` catches a rewritten, replaced
/// or cut log against them.
///
/// With ``rotation`` (by size and/or daily) the log moves on to a new file between two records: the old file ends
/// with a sealing checkpoint and is renamed as ``FileRotation`` names rotated files, and the chain continues in the
/// new one, so `keel verify <path>.2* <path>` checks all of them as one chain. Rotated audit files are never
/// compressed or deleted by Keel: a chain with a missing file cannot be verified.
public final class AuditSink: LogSink {
    public enum Sync: Sendable {
        /// `fsync` after every record.
        case everyRecord
        /// `fsync` once per batch of records (``LogSink/endBatch()``): the default. The pipeline ends batches; code
        /// that writes to the sink itself calls `endBatch()` when it wants what it wrote on disk (or uses
        /// ``everyRecord``).
        case everyBatch
        /// Leave it to the operating system.
        case never
    }

    public let path: String
    public let checkpointEvery: Int
    public let checkpointInterval: Duration
    public let checkpointCopy: String?
    public let sync: Sync
    /// When to move on to a new file (size and day only); `nil` keeps one file.
    public let rotation: FileRotation?
    /// The storage classes this sink records: `audit` by default; everything for `keel pipe --audit`.
    public let classes: Set<StorageClass>
    /// Bytes of a torn last line found at start-up and moved aside (0 when the log was whole).
    public let recoveredTornBytes: Int
    private let key: [UInt8]
    private let service: String
    private let diagnostics: Diagnostics
    private let state: Mutex<State>

    private struct State: ~Copyable {
        var fd: Int32
        var copyFD: Int32
        var seq: Int64
        var previous: [UInt8]
        var sinceCheckpoint = 0
        var lastCheckpoint: ContinuousClock.Instant = .now
        var record = OutputBuffer(capacity: 4096)
        var closed = false
        /// Records written since the last `fsync` (with ``Sync/everyBatch``).
        var unsynced = false
        var syncs = 0
        /// Bytes in the open file, and the UTC day it was opened (for rotation).
        var size: Int
        var day: Int
        deinit { record.deallocate() }
    }

    /// Opens (creating if needed) the audit log at `path`, recovering from a torn last line.
    /// - Parameters:
    ///   - key: the checkpoint HMAC key, at least 16 bytes (keep it away from the log's host if you can).
    /// - Throws: ``SinkError`` when the file cannot be opened or its last record is not a chained record.
    public init(
        path: String, key: [UInt8], service: String, checkpointEvery: Int = 1000,
        checkpointInterval: Duration = .seconds(60), checkpointCopy: String? = nil, sync: Sync = .everyBatch,
        rotation: FileRotation? = nil, classes: Set<StorageClass> = [.audit], diagnostics: Diagnostics = Diagnostics()
    ) throws {
        guard key.count >= 16 else { throw SinkError(path: path, reason: "the audit key must be at least 16 bytes") }
        if let rotation, rotation.compress || rotation.keepFiles != nil || rotation.keepDays != nil {
            throw SinkError(
                path: path,
                reason: "an audit log rotates by size or by day only: its rotated files are never compressed or deleted, so that the whole chain stays verifiable")
        }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SinkError(path: path, reason: FileDescriptorIO.describe(errno)) }
        let recovered: (torn: Int, seq: Int64, previous: [UInt8])
        var info = stat()
        do {
            recovered = try Self.recover(fd: fd, path: path)
            guard fstat(fd, &info) == 0 else { throw SinkError(path: path, reason: FileDescriptorIO.describe(errno)) }
        } catch {
            Glibc.close(fd)
            throw error
        }
        var copyFD: Int32 = -1
        if checkpointCopy == "-" {
            copyFD = dup(STDOUT_FILENO)
        } else if let checkpointCopy {
            copyFD = open(checkpointCopy, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard copyFD >= 0 else {
                Glibc.close(fd)
                throw SinkError(path: checkpointCopy, reason: FileDescriptorIO.describe(errno))
            }
        }
        self.path = path
        self.key = key
        self.service = service
        self.checkpointEvery = max(1, checkpointEvery)
        self.checkpointInterval = checkpointInterval
        self.checkpointCopy = checkpointCopy
        self.sync = sync
        self.rotation = rotation
        self.classes = classes
        self.diagnostics = diagnostics
        self.recoveredTornBytes = recovered.torn
        self.state = Mutex(
            State(
                fd: fd, copyFD: copyFD, seq: recovered.seq, previous: recovered.previous, size: Int(info.st_size),
                day: FileRotation.today()))
        if recovered.torn > 0 {
            FileDescriptorIO.reportToStderr(
                "audit log \(path): a torn last line (\(recovered.torn) bytes, a crash mid-write) was moved aside; the chain continues from record \(recovered.seq)")
        }
    }

    deinit { close() }

    public func accepts(_ storageClass: StorageClass) -> Bool { classes.contains(storageClass) }

    public var isDurable: Bool { true }
    public var name: String { "audit:" + path }

    public func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        let (rotationFailure, failure): (Int32?, Int32?) = state.withLock { state in
            guard !state.closed else { return (nil, -1) }
            var rotationFailure: Int32?
            if let rotation,
                rotation.isDue(
                    size: state.size, incoming: line.count + AuditChain.recordOverhead, openedOnDay: state.day,
                    today: rotation.daily ? FileRotation.today() : state.day)
            {
                // A failed rotation is reported, and the record still goes to the file that is open.
                rotationFailure = rotate(&state)
            }
            if let failure = append(line, to: &state) { return (rotationFailure, failure) }
            state.sinceCheckpoint += 1
            if state.sinceCheckpoint >= checkpointEvery || .now - state.lastCheckpoint >= checkpointInterval {
                return (rotationFailure, checkpoint(sealed: false, &state))
            }
            return (rotationFailure, nil)
        }
        if let rotationFailure { report(rotationFailure) }
        if let failure { report(failure) }
    }

    public var wantsBatchEnds: Bool { sync == .everyBatch }

    /// Syncs what this batch wrote (``Sync/everyBatch``).
    public func endBatch() {
        let failure: Int32? = state.withLock { state in
            guard !state.closed, state.unsynced else { return nil }
            state.unsynced = false
            state.syncs += 1
            return fsync(state.fd) == 0 ? nil : errno
        }
        if let failure { report(failure) }
    }

    /// How many times the log was synced to disk record by record or batch by batch (for tests and diagnostics).
    public var syncCount: Int { state.withLock { $0.syncs } }

    public func flush() {
        state.withLock { state in
            if !state.closed, sync != .everyRecord {
                _ = fsync(state.fd)
                state.unsynced = false
            }
        }
    }

    /// Seals the log with a last checkpoint and closes it.
    public func close() {
        let failure: Int32? = state.withLock { state in
            guard !state.closed else { return nil }
            let failure = checkpoint(sealed: true, &state)
            _ = fsync(state.fd)
            Glibc.close(state.fd)
            if state.copyFD >= 0 {
                _ = fsync(state.copyFD)
                Glibc.close(state.copyFD)
            }
            state.closed = true
            return failure
        }
        if let failure { report(failure) }
    }

    /// Chains and writes one record. Under the lock.
    private func append(_ event: UnsafeRawBufferPointer, to state: inout State) -> Int32? {
        state.record.removeAll()
        let hash = AuditChain.append(event: event, seq: state.seq + 1, previous: state.previous, to: &state.record)
        let failure = state.record.withUnsafeBytes { FileDescriptorIO.writeAll(state.fd, $0) }
        if let failure {
            // The record may be partly on disk: the next start-up moves it aside. Nothing is chained onto it.
            return failure
        }
        switch sync {
        case .everyRecord:
            if fsync(state.fd) != 0 { return errno }
            state.syncs += 1
        case .everyBatch: state.unsynced = true
        case .never: break
        }
        state.size += state.record.count
        state.seq += 1
        state.previous = hash
        return nil
    }

    /// Seals the open file, renames it as a rotated file and opens a new one at ``path``; the chain goes on there.
    /// Under the lock. On failure the old file stays open and the chain goes on in it; the next attempt comes after
    /// another file's worth of records (or the next day), not at every record.
    private func rotate(_ state: inout State) -> Int32? {
        defer {
            state.size = 0
            state.day = FileRotation.today()
        }
        if let failure = checkpoint(sealed: true, &state) { return failure }
        _ = fsync(state.fd)
        let rotated = FileRotation.rotatedName(for: path)
        guard Glibc.rename(path, rotated) == 0 else { return errno }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            let code = errno
            _ = Glibc.rename(rotated, path)
            return code
        }
        Glibc.close(state.fd)
        state.fd = fd
        Self.syncDirectory(of: path)
        return nil
    }

    /// Makes a rename and a new file in `path`'s directory durable.
    private static func syncDirectory(of path: String) {
        let dfd = open(FileRotation.split(path).directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        _ = fsync(dfd)
        Glibc.close(dfd)
    }

    /// Writes a checkpoint record vouching for the chain so far. Under the lock.
    private func checkpoint(sealed: Bool, _ state: inout State) -> Int32? {
        let throughSeq = state.seq
        let throughHash = state.previous
        let mac = AuditChain.checkpointMAC(key: key, seq: throughSeq, hash: throughHash, sealed: sealed)
        var event = OutputBuffer(capacity: 512)
        defer { event.deallocate() }
        event.appendOwnEventHead(
            level: .info, message: "audit checkpoint", event: "keel.checkpoint", service: service, storageClass: .audit)
        event.append("\"checkpoint\":{\"seq\":")
        event.appendDecimal(throughSeq)
        event.append(",\"hash\":\"")
        throughHash.withUnsafeBufferPointer { event.append($0) }
        event.append("\",\"sealed\":")
        event.append(sealed ? "true" : "false")
        event.append(",\"hmac\":\"")
        event.appendRaw(mac)
        event.append("\"}}}")
        let failure = event.withUnsafeBytes { append($0, to: &state) }
        if failure == nil, state.copyFD >= 0 {
            // The copy holds the checkpoint record as written in the log.
            _ = state.record.withUnsafeBytes { FileDescriptorIO.writeAll(state.copyFD, $0) }
        }
        state.sinceCheckpoint = 0
        state.lastCheckpoint = .now
        return failure
    }

    /// Finds the last whole record; a torn tail is moved to `<path>.torn-<time>` and cut off.
    private static func recover(fd: Int32, path: String) throws(SinkError) -> (torn: Int, seq: Int64, previous: [UInt8]) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SinkError(path: path, reason: FileDescriptorIO.describe(errno)) }
        let size = Int(info.st_size)
        guard size > 0 else {
            // A new file after a rotation continues the chain of the newest rotated one.
            guard let newest = FileRotation.rotatedFiles(of: path).last else { return (0, 0, AuditChain.genesis) }
            let rotatedFD = open(newest, O_RDWR | O_APPEND | O_CLOEXEC)
            guard rotatedFD >= 0 else {
                throw SinkError(path: newest, reason: "cannot read the newest rotated audit file: \(FileDescriptorIO.describe(errno))")
            }
            defer { Glibc.close(rotatedFD) }
            return try recover(fd: rotatedFD, path: newest)
        }
        // Read backwards in blocks until the last two newlines (or the start) are in hand.
        var tail: [UInt8] = []
        var offset = size
        var newlines = 0
        while offset > 0, newlines < 2 || tail.count < 2 {
            let length = min(65536, offset)
            offset -= length
            var block = [UInt8](repeating: 0, count: length)
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(offset)) }
            guard n == length else { throw SinkError(path: path, reason: "cannot read: \(FileDescriptorIO.describe(errno))") }
            tail = block + tail
            newlines = tail.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            if newlines >= 2 { break }
        }
        var torn = 0
        let lastNewline = tail.lastIndex(of: 0x0A)
        let wholeEnd = lastNewline.map { $0 + 1 } ?? 0
        if wholeEnd < tail.count {
            torn = tail.count - wholeEnd
            let aside = path + ".torn-" + Timestamp.compactUTC(seconds: Int(Timestamp.now().microsecondsSinceEpoch / 1_000_000), micros: 0)
            let asideFD = open(aside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
            if asideFD >= 0 {
                _ = tail[wholeEnd...].withUnsafeBytes { FileDescriptorIO.writeAll(asideFD, $0) }
                _ = fsync(asideFD)
                Glibc.close(asideFD)
            }
            guard ftruncate(fd, off_t(size - torn)) == 0 else {
                throw SinkError(path: path, reason: "cannot cut the torn last line: \(FileDescriptorIO.describe(errno))")
            }
            _ = fsync(fd)
        }
        guard let lastNewline else { return (torn, 0, AuditChain.genesis) }
        let start = tail[..<lastNewline].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        if start == 0, offset > 0 { throw SinkError(path: path, reason: "its last record is longer than expected") }
        let last = Array(tail[start..<lastNewline])
        guard let (_, hash) = last.withUnsafeBytes({ AuditChain.split($0) }),
            case .object(let members)? = try? JSONParser.parse(last),
            case .number(let seqText)? = members.last(where: { $0.key == "seq" })?.value, let seq = Int64(seqText)
        else {
            throw SinkError(path: path, reason: "its last record is not a chained audit record; check it with keel verify")
        }
        return (torn, seq, hash)
    }

    private func report(_ code: Int32) {
        if code == -1 {
            diagnostics.countWriteAfterClose()
            return
        }
        diagnostics.countSinkFailure()
        FileDescriptorIO.reportToStderr("audit log \(path): write failed: \(FileDescriptorIO.describe(code))")
    }
}
