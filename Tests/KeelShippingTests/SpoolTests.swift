import Foundation
import Synchronization
@testable import KeelShipping
import Testing

/// The disk spool on real files: what is appended comes back in order, acknowledged records are gone after a
/// restart and the rest are read again, a torn or damaged segment is recovered and counted (never a failure to open),
/// the bound holds, and a blocking spool waits for an acknowledgement.
struct SpoolTests {
    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("keel-spool-\(UUID())").path
    }

    static func append(_ spool: Spool, _ text: String, storageClass: UInt8 = 0) -> Spool.Appended {
        Array(text.utf8).withUnsafeBytes { spool.append($0, storageClass: storageClass) }
    }

    static func read(_ spool: Spool, maxRecords: Int = 1000) -> [String] {
        var out: [String] = []
        var position: SpoolPosition?
        while let batch = spool.batch(after: position, maxRecords: maxRecords, maxBytes: 1 << 20) {
            out += batch.lines.map { String(decoding: $0, as: UTF8.self) }
            position = batch.end
        }
        return out
    }

    @Test func whatIsAppendedComesBackAndOnlyTheUnacknowledgedAfterARestart() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options = Spool.Options(directory: directory, capacity: 1 << 20, segmentSize: 200, fsync: .always)
        var spool: Spool? = try Spool(options)
        for n in 0..<20 { #expect(Self.append(spool!, "line \(n)", storageClass: UInt8(n % 3)) == .spooled) }
        #expect(Self.read(spool!) == (0..<20).map { "line \($0)" })
        // Batches never span segments; acknowledge the first two.
        let first = try #require(spool!.batch(after: nil, maxRecords: 7, maxBytes: 1 << 20))
        #expect(first.lines.count == 7 && first.storageClasses.prefix(3) == [0, 1, 2])
        spool!.acknowledge(first)
        let second = try #require(spool!.batch(after: first.end, maxRecords: 100, maxBytes: 1 << 20))
        spool!.acknowledge(second)
        let acknowledged = 7 + second.lines.count
        #expect(spool!.pendingRecords == 20 - acknowledged)
        spool = nil  // the process stops

        let reopened = try Spool(options)
        #expect(reopened.recovery == Spool.Recovery(pendingRecords: 20 - acknowledged))
        #expect(Self.read(reopened) == (acknowledged..<20).map { "line \($0)" })
        #expect(Self.append(reopened, "after") == .spooled)
        #expect(Self.read(reopened).last == "after")
    }

    @Test func recordChecksumsAreZlibsCRC32SoSpoolsWrittenBeforeReadTheSame() {
        // The CRC-32 check value: a spool written when the sum was zlib's reads back unchanged.
        #expect(Array("123456789".utf8).withUnsafeBytes { SpoolRecord.checksum($0) } == 0xCBF4_3926)
        #expect(SpoolRecord.checksum(UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }

    @Test func gatheredAppendsReachTheFileOnSyncAndAreReadBeforeThenToo() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options = Spool.Options(directory: directory, fsync: .never, writeBuffer: 4096)
        let spool = try Spool(options)
        for n in 0..<10 { #expect(Self.append(spool, "gathered \(n)") == .spooled) }
        let segment = directory + "/000000000001.seg"
        #expect((try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int) == 0)
        // A reader sees them (they are written first).
        #expect(Self.read(spool) == (0..<10).map { "gathered \($0)" })
        for n in 10..<20 { _ = Self.append(spool, "gathered \(n)") }
        spool.sync()
        let onDisk = try #require(FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int)
        #expect(onDisk == spool.bytes)
        spool.close()
        #expect(Self.read(try Spool(options)) == (0..<20).map { "gathered \($0)" })
    }

    @Test func aRecordLongerThanABatchComesBackWhole() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try Spool(Spool.Options(directory: directory, fsync: .never))
        let long = String(repeating: "x", count: 300 << 10)
        _ = Self.append(spool, "short")
        _ = Self.append(spool, long)
        _ = Self.append(spool, "after")
        var position: SpoolPosition?
        var batches: [[String]] = []
        while let batch = spool.batch(after: position, maxRecords: 100, maxBytes: 1024) {
            batches.append(batch.lines.map { String(decoding: $0, as: UTF8.self) })
            position = batch.end
        }
        #expect(batches == [["short"], [long], ["after"]])
    }

    @Test func aTornTailIsCutOffAndCountedAndAppendsGoOn() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options = Spool.Options(directory: directory, fsync: .always)
        do {
            let spool = try Spool(options)
            for n in 0..<3 { _ = Self.append(spool, "whole \(n)") }
            spool.close()
        }
        // A write cut short: half a record's header and body at the end.
        let segment = directory + "/000000000001.seg"
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data([40, 0, 0, 0, 1, 2, 3, 4, 0]) + Data("torn".utf8))
        handle.closeFile()
        let reopened = try Spool(options)
        #expect(reopened.recovery.tornBytes == 13 && reopened.recovery.pendingRecords == 3)
        #expect(Self.append(reopened, "next") == .spooled)
        #expect(Self.read(reopened) == ["whole 0", "whole 1", "whole 2", "next"])
    }

    @Test func aDamagedRecordInAnOlderSegmentEndsItsReadablePartAndIsCounted() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options = Spool.Options(directory: directory, segmentSize: 64, fsync: .always)
        do {
            let spool = try Spool(options)
            for n in 0..<6 { _ = Self.append(spool, "record \(n)") }  // 17 bytes each: three a segment
            spool.close()
        }
        // Flip a byte of the second record of the first segment.
        let segment = directory + "/000000000001.seg"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[17 + 12] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: segment))
        let reopened = try Spool(options)
        #expect(reopened.recovery.damagedBytes == 34)
        #expect(Self.read(reopened) == ["record 0", "record 3", "record 4", "record 5"])
    }

    @Test func theBoundHoldsByDroppingTheOldest() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try Spool(Spool.Options(directory: directory, capacity: 1000, segmentSize: 200, fsync: .never))
        var dropped = 0
        for n in 0..<200 {
            if case .spooledDropping(let records) = Self.append(spool, "event \(String(format: "%04d", n))") { dropped += records }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }
        let onDisk = try files.reduce(0) { $0 + (try FileManager.default.attributesOfItem(atPath: directory + "/" + $1)[.size] as! Int) }
        #expect(onDisk <= 1000 && spool.bytes == onDisk)
        let kept = Self.read(spool)
        #expect(kept.last == "event 0199" && kept.count + dropped == 200, "every record is kept or counted: \(kept.count) + \(dropped)")
    }

    @Test func aBlockingSpoolWaitsForAnAcknowledgement() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try Spool(Spool.Options(directory: directory, capacity: 100, segmentSize: 50, whenFull: .block, fsync: .never))
        for n in 0..<4 { #expect(Self.append(spool, "audit \(n)") == .spooled) }  // 16 bytes each: 3 a segment
        #expect(spool.bytes == 64)
        let started = ContinuousClock.now
        // The writer waits in `append`, blocking its thread: a thread of its own, not one of Swift's few pool threads.
        let results = Mutex<[Spool.Appended]>([])
        let done = DispatchSemaphore(value: 0)
        Thread {
            let appended = (0..<6).map { Self.append(spool, "more \($0)") }
            results.withLock { $0 = appended }
            done.signal()
        }.start()
        try await Task.sleep(for: .milliseconds(200))
        // Acknowledge what the server has, until the writer got through.
        for _ in 0..<50 {
            if let batch = spool.batch(after: nil, maxRecords: 3, maxBytes: 1 << 20) { spool.acknowledge(batch) }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(results.withLock { $0.count == 6 && $0.allSatisfy { $0 == .spooled } }, "nothing dropped: it waited")
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        spool.close()
        #expect(Self.append(spool, "closed") == .refused)
    }
}

/// A spool without a directory keeps its segments in memory: the same batches, acknowledgements and bound.
@Suite struct MemorySpoolTests {
    @Test func inMemoryTheSameBatchesAcknowledgementsAndBoundHold() throws {
        let spool = try Spool(Spool.Options(directory: nil, capacity: 2_000, segmentSize: 500, whenFull: .dropOldest))
        for n in 0..<20 { #expect(SpoolTests.append(spool, "memory line \(n)") == .spooled) }
        #expect(SpoolTests.read(spool) == (0..<20).map { "memory line \($0)" })
        let first = try #require(spool.batch(after: nil, maxRecords: 5, maxBytes: 1 << 20))
        spool.acknowledge(first)
        #expect(spool.pendingRecords == 15)
        #expect(SpoolTests.read(spool).first == "memory line 5")
        // Past the bound the oldest segments go, counted.
        var dropped = 0
        for n in 20..<200 {
            if case .spooledDropping(let records) = SpoolTests.append(spool, "memory line \(n)") { dropped += records }
        }
        #expect(dropped > 0 && spool.bytes <= 2_000)
        let left = SpoolTests.read(spool)
        #expect(left.last == "memory line 199" && left.count == spool.pendingRecords && left.count + dropped == 195)
        spool.sync()
        spool.close()
    }
}
