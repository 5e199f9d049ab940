#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A network sink's disk buffer: lines are appended to segment files (`<id>.seg`, records framed and checksummed by
/// ``SpoolRecord``, a record never across two files), read back in batches for the server, and deleted once the
/// server has acknowledged them (`checkpoint`, written after each acknowledgement, before any segment is deleted).
/// What was written and not acknowledged survives the process dying: it is read again at the next start, so a record
/// is never lost between an acknowledgement and its checkpoint — it may be sent twice, and the server deduplicates by
/// `event_id`.
///
/// **On disk.** Appends reach the file at once (the kernel's page cache); ``Options/fsync`` says when they are forced
/// to the disk: every append, every interval (default 500 ms, as Vector's disk buffer), or never. A process killed
/// loses nothing either way; a machine losing power may lose the last interval.
///
/// **Damage.** At start each segment is read and checked: a torn record at the end of the newest segment (a write cut
/// short) is cut off, and a damaged record in an older segment ends that segment's readable part; both are counted in
/// ``Recovery``, and nothing stops the spool from opening. Sizes are summed from what is on disk (``SpoolLedger``).
package final class DiskSpool: @unchecked Sendable {
    package enum Fsync: Sendable, Equatable {
        case always
        case interval(Duration)
        case never
    }

    package struct Options: Sendable {
        package var directory: String
        /// Most bytes on disk, all segments together.
        package var capacity: Int
        package var segmentSize: Int
        package var whenFull: SpoolWhenFull
        package var fsync: Fsync
        /// Bytes of records gathered in memory before they are written to the file (0: each record written as it
        /// comes, so a process killed right after an append keeps it). A reader that can read its input again after
        /// a crash — a file shipper committing its positions only after ``DiskSpool/sync()`` — gathers, and saves a
        /// system call per line.
        package var writeBuffer: Int

        package init(
            directory: String, capacity: Int = 256 << 20, segmentSize: Int = 8 << 20, whenFull: SpoolWhenFull = .dropOldest,
            fsync: Fsync = .interval(.milliseconds(500)), writeBuffer: Int = 0
        ) {
            self.directory = directory
            self.capacity = capacity
            self.segmentSize = segmentSize
            self.whenFull = whenFull
            self.fsync = fsync
            self.writeBuffer = max(0, writeBuffer)
        }
    }

    /// What opening found.
    package struct Recovery: Sendable, Equatable {
        /// Records written and not acknowledged before the process stopped: they are sent again.
        package var pendingRecords = 0
        /// Bytes of a torn record cut off the end of the newest segment.
        package var tornBytes = 0
        /// Bytes past a damaged record in an older segment, not readable.
        package var damagedBytes = 0
    }

    /// A batch of records, all of one segment, in order.
    package struct Batch: Sendable {
        package let segment: UInt64
        package let start: SpoolPosition
        /// Where the record after the batch starts: what to acknowledge.
        package let end: SpoolPosition
        package let lines: [[UInt8]]
        package let storageClasses: [UInt8]
    }

    package enum Appended: Sendable, Equatable {
        case spooled
        /// Spooled, after dropping the oldest segments and their records not acknowledged.
        case spooledDropping(records: Int)
        /// Not spooled: larger than the spool may hold, or the spool is closed.
        case refused
    }

    package let options: Options
    package private(set) var recovery = Recovery()
    private let condition = NSCondition()
    private var ledger: SpoolLedger
    private var file: Int32 = -1
    /// The checkpoint file, kept open (``SpoolCheckpoint``), and how many checkpoints were written to it.
    private var checkpointFile: Int32 = -1
    private var checkpointSequence: UInt64 = 0
    /// Records appended and not yet written to `file` (only with a ``Options/writeBuffer``).
    private var gathered: [UInt8] = []
    private var lastSync = ContinuousClock.now
    private var unsynced = false
    private var closed = false

    package init(_ options: Options) throws {
        self.options = options
        try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
        checkpointFile = open(options.directory + "/checkpoint", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard checkpointFile >= 0 else { throw CocoaError(.fileWriteNoPermission) }
        let stored = SpoolCheckpoint.read(Self.read(checkpointFile, at: 0, count: 2 * SpoolCheckpoint.slotSize))
        let checkpoint = stored?.position
        checkpointSequence = stored.map { $0.sequence &+ 1 } ?? 0
        var segments: [SpoolLedger.Segment] = []
        var recovery = Recovery()
        let ids = ((try? FileManager.default.contentsOfDirectory(atPath: options.directory)) ?? [])
            .compactMap { $0.hasSuffix(".seg") ? UInt64($0.dropLast(4)) : nil }.sorted()
        for (index, id) in ids.enumerated() {
            let path = Self.path(options.directory, id)
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
        ledger = SpoolLedger(
            capacity: options.capacity, segmentSize: options.segmentSize, whenFull: options.whenFull, segments: segments,
            acknowledged: checkpoint)
        self.recovery = recovery
        try openForWriting(ledger.end.segment)
    }

    deinit {
        _ = writeGathered()
        if file >= 0 { Glibc.close(file) }
        if checkpointFile >= 0 { Glibc.close(checkpointFile) }
    }

    // MARK: writing

    /// Appends `line`; with ``SpoolWhenFull/block``, waits while the spool is full (until the server acknowledges
    /// enough, or the spool is closed).
    package func append(_ line: UnsafeRawBufferPointer, storageClass: UInt8) -> Appended {
        let record = SpoolRecord.frame(line, storageClass: storageClass)
        condition.lock()
        defer { condition.unlock() }
        while !closed {
            let decision = ledger.write(size: record.count)
            switch decision {
            case .tooLarge:
                return .refused
            case .wait:
                condition.wait()
                continue
            case .append(_, let roll, let dropping, let dropped):
                if let roll {
                    guard writeGathered() else { return .refused }
                    syncFile()
                    do { try openForWriting(roll) } catch { return .refused }
                }
                if options.writeBuffer > 0 {
                    gathered += record
                    if gathered.count >= options.writeBuffer { guard writeGathered() else { return .refused } }
                } else {
                    guard writeAll(record) else { return .refused }
                }
                ledger.appended(decision, size: record.count)
                for id in dropping { unlink(Self.path(options.directory, id)) }
                unsynced = true
                syncIfDue()
                condition.broadcast()
                return dropped > 0 ? .spooledDropping(records: dropped) : .spooled
            }
        }
        return .refused
    }

    /// Forces what was appended to the disk.
    package func sync() {
        condition.lock()
        defer { condition.unlock() }
        _ = writeGathered()
        syncFile()
    }

    // MARK: reading

    /// The records after `position` (the acknowledged position when `nil`), at most `maxRecords` and about `maxBytes`
    /// (at least one record), all of one segment; `nil` when there is nothing after it.
    package func batch(after position: SpoolPosition?, maxRecords: Int, maxBytes: Int) -> Batch? {
        condition.lock()
        _ = writeGathered()
        var start = max(position ?? ledger.acknowledged, ledger.acknowledged)
        let segments = ledger.segments
        condition.unlock()
        // Past the end of its segment: the next one.
        guard var index = segments.firstIndex(where: { $0.id >= start.segment }) else { return nil }
        if segments[index].id != start.segment { start = SpoolPosition(segment: segments[index].id, offset: 0) }
        while start.offset >= segments[index].bytes {
            index += 1
            guard index < segments.count else { return nil }
            start = SpoolPosition(segment: segments[index].id, offset: 0)
        }
        let segment = segments[index]
        let fd = open(Self.path(options.directory, segment.id), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        // About a batch's bytes are read, more only when the first record is longer.
        let available = segment.bytes - start.offset
        var wanted = min(available, maxBytes + 64 << 10)
        var lines: [[UInt8]] = []
        var classes: [UInt8] = []
        var end = 0
        while lines.isEmpty {
            let buffer = Self.read(fd, at: start.offset, count: wanted)
            var taken = 0
            end = buffer.withUnsafeBytes { raw in
                SpoolRecord.scan(raw, from: 0) { read in
                    lines.append(Array(raw[read.line]))
                    classes.append(read.storageClass)
                    taken += read.end - read.offset
                    return lines.count < maxRecords && taken < maxBytes
                }.end
            }
            guard lines.isEmpty, buffer.count == wanted, wanted < available else { break }
            wanted = min(available, wanted * 2)
        }
        guard !lines.isEmpty else { return nil }
        return Batch(
            segment: segment.id, start: start, end: SpoolPosition(segment: segment.id, offset: start.offset + end), lines: lines,
            storageClasses: classes)
    }

    /// Up to `count` bytes of `fd` from `offset` (fewer at its end).
    private static func read(_ fd: Int32, at offset: Int, count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            filled = 0
            while filled < count {
                let got = pread(fd, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { break }
                filled += got
            }
        }
    }

    /// The server has the records of `batch` (and everything before it): written down in the checkpoint, then the
    /// segments wholly acknowledged are deleted, and a writer waiting for room is woken.
    package func acknowledge(_ batch: Batch) {
        condition.lock()
        defer { condition.unlock() }
        guard batch.end > ledger.acknowledged else { return }
        var next = ledger
        let deleted = next.acknowledge(upTo: batch.end, records: batch.lines.count)
        // The checkpoint first: a crash between the two leaves segments the checkpoint says are done, never the reverse.
        writeCheckpoint(next.acknowledged)
        ledger = next
        for id in deleted { unlink(Self.path(options.directory, id)) }
        condition.broadcast()
    }

    // MARK: state

    /// Bytes on disk, and records not yet acknowledged.
    package var bytes: Int { condition.withLock { ledger.bytes } }
    package var pendingRecords: Int { condition.withLock { ledger.segments.reduce(0) { $0 + $1.records - $1.acknowledgedRecords } } }
    package var isDrained: Bool { condition.withLock { ledger.isDrained } }

    /// Stops the spool: what was appended is synced, waiting writers are released (refused).
    package func close() {
        condition.lock()
        defer { condition.unlock() }
        _ = writeGathered()
        syncFile()
        closed = true
        if file >= 0 { Glibc.close(file) }
        file = -1
        condition.broadcast()
    }

    // MARK: files

    private static func path(_ directory: String, _ id: UInt64) -> String {
        let digits = String(id)
        return directory + "/" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".seg"
    }

    private func openForWriting(_ id: UInt64) throws {
        if file >= 0 { Glibc.close(file) }
        file = open(Self.path(options.directory, id), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
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

    private func syncIfDue() {
        switch options.fsync {
        case .always: syncFile()
        case .never: break
        case .interval(let interval): if ContinuousClock.now - lastSync >= interval { syncFile() }
        }
    }

    private func syncFile() {
        guard unsynced, file >= 0, options.fsync != .never else { return }
        fsync(file)
        unsynced = false
        lastSync = .now
    }

    /// One slot of the checkpoint file, in one write (``SpoolCheckpoint``).
    private func writeCheckpoint(_ position: SpoolPosition) {
        let (bytes, offset) = SpoolCheckpoint.slot(position, sequence: checkpointSequence)
        checkpointSequence &+= 1
        _ = bytes.withUnsafeBytes { pwrite(checkpointFile, $0.baseAddress!, $0.count, off_t(offset)) }
    }
}
