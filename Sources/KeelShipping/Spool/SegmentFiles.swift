#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A spool's segments as files in its directory (`<id>.seg`, 12 digits), and its checkpoint (``SpoolCheckpoint``).
///
/// **On disk.** Appends reach the file at once (the kernel's page cache) unless gathered (``Spool/Options/writeBuffer``);
/// the fsync policy says when they are forced to the disk: every append, every interval (default 500 ms, as Vector's
/// disk buffer), or never. A process killed loses nothing it appended ungathered; a machine losing power may lose the
/// last interval.
///
/// **Damage.** At start each segment is read and checked: a torn record at the end of the newest segment (a write cut
/// short) is cut off, and a damaged record in an older segment ends that segment's readable part; both are counted in
/// ``Spool/Recovery``, and nothing stops the spool from opening.
final class SegmentFiles: SegmentStorage, @unchecked Sendable {
    let directory: String
    let fsync: Spool.Fsync
    let writeBuffer: Int
    private var file: Int32 = -1
    /// Records appended and not yet written to `file` (only with a write buffer).
    private var gathered: [UInt8] = []
    private var lastSync = ContinuousClock.now
    private var unsynced = false
    /// The checkpoint file, kept open, and how many checkpoints were written to it.
    private let checkpointFile: Int32
    private var checkpointSequence: UInt64 = 0

    init(directory: String, fsync: Spool.Fsync, writeBuffer: Int) throws {
        self.directory = directory
        self.fsync = fsync
        self.writeBuffer = max(0, writeBuffer)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        checkpointFile = open(directory + "/checkpoint", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard checkpointFile >= 0 else { throw CocoaError(.fileWriteNoPermission) }
    }

    deinit {
        flush()
        if file >= 0 { Glibc.close(file) }
        Glibc.close(checkpointFile)
    }

    func recover() -> (segments: [SpoolLedger.Segment], acknowledged: SpoolPosition?, recovery: Spool.Recovery) {
        let stored = SpoolCheckpoint.read(Self.read(checkpointFile, at: 0, count: 2 * SpoolCheckpoint.slotSize))
        let checkpoint = stored?.position
        checkpointSequence = stored.map { $0.sequence &+ 1 } ?? 0
        var segments: [SpoolLedger.Segment] = []
        var recovery = Spool.Recovery()
        let ids = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { $0.hasSuffix(".seg") ? UInt64($0.dropLast(4)) : nil }.sorted()
        for (index, id) in ids.enumerated() {
            let path = path(id)
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            var records = 0
            var acknowledged = 0
            let (end, damaged) = bytes.withUnsafeBytes { raw in
                SpoolRecord.scan(raw, from: 0) { read in
                    records += 1
                    if let checkpoint, checkpoint.segment == id, read.offset < checkpoint.offset { acknowledged += 1 }
                    return true
                }
            }
            if damaged {
                if index == ids.count - 1 {
                    recovery.tornBytes += bytes.count - end
                    truncate(path, off_t(end))
                } else {
                    recovery.damagedBytes += bytes.count - end
                }
            }
            if let checkpoint, id < checkpoint.segment { acknowledged = records }
            segments.append(SpoolLedger.Segment(id: id, bytes: end, records: records, acknowledgedRecords: acknowledged))
            recovery.pendingRecords += records - acknowledged
        }
        return (segments, checkpoint, recovery)
    }

    func begin(_ id: UInt64) throws {
        if file >= 0 {
            flush()
            sync(onlyIfDue: false)
            Glibc.close(file)
        }
        file = open(path(id), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func append(_ record: [UInt8]) -> Bool {
        unsynced = true
        guard writeBuffer > 0 else { return writeAll(record) }
        gathered += record
        if gathered.count >= writeBuffer { return writeGathered() }
        return true
    }

    func flush() { _ = writeGathered() }

    func sync(onlyIfDue due: Bool) {
        if due {
            switch fsync {
            case .always: break
            case .never: return
            case .interval(let interval): guard ContinuousClock.now - lastSync >= interval else { return }
            }
        }
        flush()
        guard unsynced, file >= 0, fsync != .never else { return }
        Glibc.fsync(file)
        unsynced = false
        lastSync = .now
    }

    func read(_ id: UInt64, at offset: Int, count: Int) -> [UInt8] {
        let fd = open(path(id), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { Glibc.close(fd) }
        return Self.read(fd, at: offset, count: count)
    }

    /// One slot of the checkpoint file, in one write (``SpoolCheckpoint``).
    func checkpoint(_ position: SpoolPosition) {
        let (bytes, offset) = SpoolCheckpoint.slot(position, sequence: checkpointSequence)
        checkpointSequence &+= 1
        _ = bytes.withUnsafeBytes { pwrite(checkpointFile, $0.baseAddress!, $0.count, off_t(offset)) }
    }

    func remove(_ id: UInt64) { unlink(path(id)) }

    func close() {
        sync(onlyIfDue: false)
        if file >= 0 { Glibc.close(file) }
        file = -1
    }

    private func path(_ id: UInt64) -> String {
        let digits = String(id)
        return directory + "/" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".seg"
    }

    /// Up to `count` bytes of `fd` from `offset` (fewer at its end).
    private static func read(_ fd: Int32, at offset: Int, count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: max(0, count)) { buffer, filled in
            filled = 0
            while filled < count {
                let got = pread(fd, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { break }
                filled += got
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        guard file >= 0 else { return false }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(file, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                // Nothing half-written stays readable: the next start cuts a torn record off.
                return false
            }
            written += result
        }
        return true
    }

    /// Writes the gathered records to the file; false when it fails (they are dropped: the spool's ledger counted
    /// them, and the next start reads what the file holds).
    private func writeGathered() -> Bool {
        guard !gathered.isEmpty else { return true }
        defer { gathered.removeAll(keepingCapacity: true) }
        return writeAll(gathered)
    }
}
