import Foundation
import Keel
import KeelTools
import Logging
import Testing

/// The hash-chained audit log and `keel verify`: what the sink writes verifies, every kind of tampering is caught,
/// and a crash mid-write is recovered from.
@Suite struct AuditTests {
    let key = Array("0123456789abcdef-test-key".utf8)

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-audit-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `count` audit events through a sink and closes (seals) it.
    func writeLog(_ path: String, count: Int, from first: Int = 0, key: [UInt8]? = nil, copy: String? = nil) throws {
        let sink = try AuditSink(path: path, key: key ?? self.key, service: "billing", checkpointEvery: 10, checkpointCopy: copy)
        for n in first..<(first + count) {
            var line = #"{"level":"INFO","message":"refund \#(n)","event":"refund.issued","storage_class":"audit"}"# + "\n"
            line.withUTF8 { sink.write(UnsafeRawBufferPointer($0), level: .info, storageClass: .audit) }
        }
        sink.close()
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func write(_ lines: [String], to path: String) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    func verify(_ path: String, allowUnsealed: Bool = false) -> AuditVerifier.Report {
        AuditVerifier(key: key, allowUnsealed: allowUnsealed).verify(files: [path])
    }

    @Test func whatTheSinkWritesVerifiesAndIsSealed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        let copy = dir.appendingPathComponent("checkpoints.log").path
        try writeLog(path, count: 95, copy: copy)
        let report = verify(path)
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.sealed)
        #expect(report.records == 95 + 10)  // 9 periodic checkpoints and the sealing one
        #expect(report.checkpoints == 10)
        let records = try lines(path).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.map { $0["seq"] as? Int } == (1...105).map { $0 })
        #expect((records.first?["prev_hash"] as? String) == String(repeating: "0", count: 64))
        // The copy holds exactly the checkpoint records of the log.
        #expect(try lines(copy) == lines(path).filter { $0.contains("\"keel.checkpoint\"") })
    }

    /// Rotation by size: every file ends sealed, the chain goes on across files, and the files verify as one chain
    /// only whole and in order.
    @Test func aRotatedLogEndsEachFileSealedAndVerifiesAcrossFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        let sink = try AuditSink(
            path: path, key: key, service: "billing", checkpointEvery: 50, rotation: FileRotation(maxBytes: 16 << 10))
        for n in 0..<500 {
            var line = #"{"level":"INFO","message":"refund \#(n)","event":"refund.issued","storage_class":"audit"}"# + "\n"
            line.withUTF8 { sink.write(UnsafeRawBufferPointer($0), level: .info, storageClass: .audit) }
        }
        sink.close()
        let rotated = FileRotation.rotatedFiles(of: path)
        #expect(rotated.count >= 5)
        for file in rotated + [path] {
            let last = try lines(file).last ?? ""
            #expect(last.contains("\"keel.checkpoint\"") && last.contains("\"sealed\":true"), "\(file) does not end sealed")
            #expect(try lines(file).allSatisfy { $0.utf8.count < 16 << 10 })
        }
        let all = AuditVerifier(key: key).verify(files: rotated + [path])
        #expect(all.ok, "\(String(describing: all.failure))")
        #expect(all.records - all.checkpoints == 500)
        // Out of order, or with a file left out, the chain does not hold.
        #expect(!AuditVerifier(key: key).verify(files: [path] + rotated).ok)
        #expect(!AuditVerifier(key: key).verify(files: Array(rotated.dropFirst()) + [path]).ok)
    }

    /// A crash right after a rotation leaves an empty log beside the rotated files: the next start continues the
    /// chain of the newest rotated file.
    @Test func afterARotationTheChainContinuesFromTheNewestRotatedFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        try writeLog(path, count: 30)
        let rotated = path + ".20261123T010000.000000Z"
        try FileManager.default.moveItem(atPath: path, toPath: rotated)
        FileManager.default.createFile(atPath: path, contents: nil)
        try writeLog(path, count: 30, from: 30)
        let report = AuditVerifier(key: key).verify(files: [rotated, path])
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.records - report.checkpoints == 60)
    }

    @Test func anAuditLogRefusesCompressionAndRetention() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        for rotation in [FileRotation(maxBytes: 1 << 20, compress: true), FileRotation(maxBytes: 1 << 20, keepFiles: 3)] {
            #expect(throws: SinkError.self) { _ = try AuditSink(path: path, key: key, service: "billing", rotation: rotation) }
        }
    }

    /// Through the background pipeline the audit log syncs once per batch the writer takes, not once per record;
    /// written one line at a time (synchronous delivery, `keel pipe`) it syncs after every line. Either way the log
    /// verifies and holds every record.
    @Test func theAuditLogSyncsOncePerBatch() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for delivery in [Pipeline.Delivery.background, .synchronous] {
            let path = dir.appendingPathComponent("audit-\(delivery == .synchronous ? "sync" : "async").log").path
            let sink = try AuditSink(path: path, key: key, service: "billing", checkpointEvery: 100)
            var config = KeelConfiguration()
            config.console = nil
            config.extraSinks = [sink]
            config.delivery = delivery
            let pipeline = try Keel.makePipeline(config)
            let logger = Logger(label: "audit") { KeelLogHandler(label: $0, pipeline: pipeline) }
            let count = 2000
            for n in 0..<count {
                logger.info("refund", metadata: ["n": .stringConvertible(n), "storage_class": "audit"])
            }
            pipeline.close()
            let report = AuditVerifier(key: key).verify(files: [path])
            #expect(report.ok, "\(String(describing: report.failure))")
            #expect(report.records - report.checkpoints == count)
            if delivery == .synchronous {
                #expect(sink.syncCount >= count)
            } else {
                #expect(sink.syncCount > 0 && sink.syncCount < count / 2, "\(sink.syncCount) syncs for \(count) records")
            }
        }
    }

    /// Someone holding the key can rebuild a log that verifies on its own; the checkpoints exported elsewhere catch
    /// it: a replaced log, and a log cut short and sealed again.
    @Test func exportedCheckpointsCatchAReplacedOrShortenedLog() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        let copy = dir.appendingPathComponent("checkpoints.log").path
        try writeLog(path, count: 95, copy: copy)
        let exported = try ExportedCheckpoints(path: copy)
        #expect(exported.hashes.count == 10)
        #expect(AuditVerifier(key: key).verify(files: [path], exported: exported).ok)

        // Replaced: the same number of records, other contents, rebuilt with the key.
        let replaced = dir.appendingPathComponent("replaced.log").path
        try writeLog(replaced, count: 95, from: 1000)
        #expect(AuditVerifier(key: key).verify(files: [replaced]).ok)
        let caught = AuditVerifier(key: key).verify(files: [replaced], exported: exported)
        #expect(!caught.ok)
        #expect(caught.failure?.reason.contains("rewritten") == true)

        // Shortened: the first 50 records written again, and sealed.
        let shortened = dir.appendingPathComponent("shortened.log").path
        try writeLog(shortened, count: 50)
        #expect(AuditVerifier(key: key).verify(files: [shortened]).ok)
        let cut = AuditVerifier(key: key).verify(files: [shortened], exported: exported)
        #expect(!cut.ok)
        #expect(cut.failure.map { $0.reason.contains("rewritten") || $0.reason.contains("cut") } == true)

        // An export that is not one is refused, with the line.
        let bogus = dir.appendingPathComponent("bogus.log").path
        try write(["{\"not\":\"a checkpoint\"}"], to: bogus)
        #expect(throws: ExportedCheckpointsError.self) { _ = try ExportedCheckpoints(path: bogus) }
    }

    @Test func everyKindOfTamperingIsCaught() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        try writeLog(path, count: 40)
        let original = try lines(path)
        let tampered = dir.appendingPathComponent("tampered.log").path

        var edited = original
        edited[7] = edited[7].replacingOccurrences(of: "refund", with: "refunc")
        var deleted = original
        deleted.remove(at: 12)
        var swapped = original
        swapped.swapAt(3, 4)
        var inserted = original
        inserted.insert(original[5], at: 20)
        let cut = Array(original.dropLast(3))
        let cases: [(String, [String], String)] = [
            ("edit a byte", edited, "hash does not match"),
            ("delete a line", deleted, "missing"),
            ("swap two lines", swapped, "seq"),
            ("insert a line", inserted, "seq"),
            ("cut the tail", cut, "not sealed"),
        ]
        for (name, lines, expected) in cases {
            try write(lines, to: tampered)
            let report = verify(tampered)
            #expect(!report.ok, "\(name) was not detected")
            #expect(report.failure?.reason.contains(expected) == true, "\(name): \(String(describing: report.failure))")
        }
        // A whole file rebuilt by someone without the key: a consistent chain, but its checkpoints do not match.
        try FileManager.default.removeItem(atPath: tampered)
        try writeLog(tampered, count: 40, key: Array("someone else's key!".utf8))
        let replaced = verify(tampered)
        #expect(replaced.failure?.reason.contains("HMAC") == true, "\(String(describing: replaced.failure))")
        // A cut tail is accepted only when asked, and the report says how much no checkpoint vouches for.
        try write(Array(original.dropLast(3)), to: tampered)
        let unsealed = verify(tampered, allowUnsealed: true)
        #expect(unsealed.ok && !unsealed.sealed)
        // 40 events and a checkpoint after every 10 (at seq 11, 22, 33, 44) and the seal (45); cut to seq 42.
        #expect(unsealed.recordsAfterLastCheckpoint == 9)
    }

    /// A log split across files (rotated) is one chain, checked in the order given.
    @Test func theChainIsFollowedAcrossFilesInOrder() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        try writeLog(path, count: 30)
        let all = try lines(path)
        let older = dir.appendingPathComponent("audit.log.1").path
        let newer = dir.appendingPathComponent("audit.log.2").path
        try write(Array(all[..<17]), to: older)
        try write(Array(all[17...]), to: newer)
        let report = AuditVerifier(key: key).verify(files: [older, newer])
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.records == all.count)
        let reversed = AuditVerifier(key: key).verify(files: [newer, older])
        #expect(reversed.failure?.file == newer)
        // A missing middle file is a gap.
        let missing = AuditVerifier(key: key).verify(files: [newer])
        #expect(missing.failure?.reason.contains("missing") == true)
    }

    @Test func aTornLastLineIsMovedAsideAndTheChainContinues() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        try writeLog(path, count: 25)
        // A crash mid-write: half a record, no newline.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"level":"INFO","message":"refund 25","seq":36,"prev_h"#.utf8))
        try handle.close()
        let sink = try AuditSink(path: path, key: key, service: "billing", checkpointEvery: 10)
        #expect(sink.recoveredTornBytes > 0)
        sink.close()
        try writeLog(path, count: 10, from: 25)
        let report = verify(path)
        #expect(report.ok, "\(String(describing: report.failure))")
        let torn = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("audit.log.torn-") }
        #expect(torn.count == 1)
        #expect(try String(contentsOfFile: dir.appendingPathComponent(torn[0]).path, encoding: .utf8).hasSuffix(#""prev_h"#))
    }

    @Test func aLogWhoseLastRecordIsNotChainedIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        try "not an audit record\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: SinkError.self) { _ = try AuditSink(path: path, key: key, service: "billing") }
        #expect(throws: SinkError.self) { _ = try AuditSink(path: path + ".new", key: Array("short".utf8), service: "billing") }
    }

    /// The writer killed mid-run (`kill -9`) in a child process: the restarted writer recovers and what was
    /// acknowledged verifies.
    @Test func aKilledWriterRecoversOnRestart() throws {
        let keel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/keel")
        try #require(FileManager.default.isExecutableFile(atPath: keel.path), "build keel first (scripts/test does)")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyFile = dir.appendingPathComponent("key").path
        try Data(key).write(to: URL(fileURLWithPath: keyFile))
        func start() throws -> (Process, FileHandle) {
            let process = Process()
            process.executableURL = keel
            process.arguments = ["pipe", "--audit", "audit.log", "--key-file", keyFile]
            process.currentDirectoryURL = dir
            let stdin = Pipe()
            process.standardInput = stdin
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, stdin.fileHandleForWriting)
        }
        let (first, input) = try start()
        for n in 0..<2000 { input.write(Data("line \(n)\n".utf8)) }
        Thread.sleep(forTimeInterval: 1)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        try? input.close()
        let path = dir.appendingPathComponent("audit.log").path
        // Killed: not sealed, but every record written so far chains.
        #expect(AuditVerifier(key: key, allowUnsealed: true).verify(files: [path]).ok)
        let (second, more) = try start()
        for n in 0..<100 { more.write(Data("after \(n)\n".utf8)) }
        try more.close()
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        let report = verify(path)
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.sealed)
    }
}
