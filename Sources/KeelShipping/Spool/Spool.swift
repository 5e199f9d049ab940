import Foundation
import Synchronization

/// A network sink's buffer: lines are appended to segments (records framed and checksummed by ``SpoolRecord``, a
/// record never across two segments), read back in batches for the server, and removed once the server has
/// acknowledged them — the checkpoint written first. Segments are files in a directory (``SegmentFiles``) unless none
/// is given: then memory (``SegmentMemory``).
///
/// On disk, what was written and not acknowledged survives the process dying: it is read again at the next start,
/// so a record is never lost between an acknowledgement and its checkpoint — it may be sent twice, and the server
/// deduplicates by `event_id`. Sizes are summed from what is kept (``SpoolLedger``), so the bound holds across
/// restarts.
package final class Spool: @unchecked Sendable {
    package enum Fsync: Sendable, Equatable {
        case always
        case interval(Duration)
        case never
    }

    package struct Options: Sendable {
        /// Where the segment files are kept; `nil`: in memory, lost when the process dies.
        package var directory: String?
        /// Most bytes kept, all segments together.
        package var capacity: Int
        package var segmentSize: Int
        package var whenFull: SpoolWhenFull
        package var fsync: Fsync
        /// Bytes of records gathered in memory before they are written to the file (0: each record written as it
        /// comes, so a process killed right after an append keeps it). A reader that can read its input again after
        /// a crash — a file shipper committing its positions only after ``Spool/sync()`` — gathers, and saves a
        /// system call per line.
        package var writeBuffer: Int

        package init(
            directory: String?, capacity: Int = 256 << 20, segmentSize: Int = 8 << 20, whenFull: SpoolWhenFull = .dropOldest,
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
    private let storage: any SegmentStorage
    private var closed = false

    package init(_ options: Options) throws {
        self.options = options
        storage =
            if let directory = options.directory {
                try SegmentFiles(directory: directory, fsync: options.fsync, writeBuffer: options.writeBuffer)
            } else {
                SegmentMemory()
            }
        let (segments, checkpoint, recovery) = try storage.recover()
        ledger = SpoolLedger(
            capacity: options.capacity, segmentSize: options.segmentSize, whenFull: options.whenFull, segments: segments,
            acknowledged: checkpoint)
        self.recovery = recovery
        try storage.begin(ledger.end.segment)
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
                    do { try storage.begin(roll) } catch { return .refused }
                }
                guard storage.append(record) else { return .refused }
                ledger.appended(decision, size: record.count)
                for id in dropping { storage.remove(id) }
                storage.sync(onlyIfDue: true)
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
        storage.sync(onlyIfDue: false)
    }

    // MARK: reading

    /// The records after `position` (the acknowledged position when `nil`), at most `maxRecords` and about `maxBytes`
    /// (at least one record), all of one segment; `nil` when there is nothing after it.
    package func batch(after position: SpoolPosition?, maxRecords: Int, maxBytes: Int) -> Batch? {
        condition.lock()
        storage.flush()
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
        // About a batch's bytes are read, more only when the first record is longer.
        let available = segment.bytes - start.offset
        var wanted = min(available, maxBytes + 64 << 10)
        var lines: [[UInt8]] = []
        var classes: [UInt8] = []
        var end = 0
        while lines.isEmpty {
            let buffer = storage.read(segment.id, at: start.offset, count: wanted)
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

    /// The server has the records of `batch` (and everything before it): written down in the checkpoint, then the
    /// segments wholly acknowledged are deleted, and a writer waiting for room is woken.
    package func acknowledge(_ batch: Batch) {
        condition.lock()
        defer { condition.unlock() }
        guard batch.end > ledger.acknowledged else { return }
        var next = ledger
        let deleted = next.acknowledge(upTo: batch.end, records: batch.lines.count)
        // The checkpoint first: a crash between the two leaves segments the checkpoint says are done, never the reverse.
        storage.checkpoint(next.acknowledged)
        ledger = next
        for id in deleted { storage.remove(id) }
        condition.broadcast()
    }

    // MARK: state

    /// Bytes kept, and records not yet acknowledged.
    package var bytes: Int { condition.withLock { ledger.bytes } }
    package var pendingRecords: Int { condition.withLock { ledger.segments.reduce(0) { $0 + $1.records - $1.acknowledgedRecords } } }
    package var isDrained: Bool { condition.withLock { ledger.isDrained } }

    /// Stops the spool: what was appended is synced, waiting writers are released (refused).
    package func close() {
        condition.lock()
        defer { condition.unlock() }
        storage.close()
        closed = true
        condition.broadcast()
    }
}
