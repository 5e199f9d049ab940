import Foundation
import Keel
import KeelTools
import Logging
import Testing

/// `keel pipe`: the stream (normalisation) through the library, and the command end to end through the binary that
/// `scripts/test` builds before running the tests.
@Suite struct PipeTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-pipe-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The `keel` executable of this build (tests run from the package's root).
    var keel: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/keel")
    }

    func lines(of path: String) throws -> [Substring] {
        try (FileRotation.rotatedFiles(of: path) + [path]).flatMap {
            try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n")
        }
    }

    /// `keel pipe`'s configuration (no console, synchronous) writing to `path`.
    func pipeConfiguration(_ path: String) -> KeelConfiguration {
        var config = KeelConfiguration()
        config.console = nil
        config.delivery = .synchronous
        config.file = path
        return config
    }

    @Test func jsonLinesAreNormalisedAndEverythingIsRedacted() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        var config = pipeConfiguration(path)
        config.service = "legacy"
        config.sourceLocations = .never
        let pipeline = try Keel.makePipeline(config)
        let stream = PipeStream(pipeline: pipeline, configuration: config)
        for text in [
            #"{"ts":"2024-01-01T00:00:00Z","severity":"Warning","msg":"slow upstream","status":503,"duration_ms":812.5,"retryable":true,"user":{"email":"ann@example.com"}}"#,
            "plain text from ann@example.com\r",
            #"[1,2,3]"#,
            #"{"level":"nonsense","message":"kept at the plain level","service":"billing"}"#,
            #"{"timestamp":"yesterday","msg":"a record serve would refuse is kept whole"}"#,
        ] {
            var line = text
            line.withUTF8 { stream.handle(UnsafeRawBufferPointer($0)) }
        }
        pipeline.close()
        let written = try lines(of: path).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(written.count == 5)
        let first = written[0]
        // The line's own time and level are the event's.
        #expect(first["timestamp"] as? String == "2024-01-01T00:00:00.000000Z")
        #expect(first["level"] as? String == "WARN")
        #expect(first["message"] as? String == "slow upstream")
        #expect(first["status"] as? Int == 503)
        #expect(first["duration_ms"] as? Double == 812.5)
        #expect(first["retryable"] as? Bool == true)
        #expect(first["service"] as? String == "legacy")
        #expect(first["host"] != nil)
        #expect((first["event_id"] as? String)?.count == 36)
        let context = first["context"] as? [String: Any]
        #expect((context?["user"] as? [String: Any])?["email"] as? String == "[REDACTED:EMAIL]")
        #expect(first["redacted"] as? [String] == ["EMAIL"])
        #expect(written[1]["message"] as? String == "plain text from [REDACTED:EMAIL]")
        #expect(written[1]["level"] as? String == "INFO")
        #expect(written[2]["message"] as? String == "[1,2,3]")
        #expect(written[3]["level"] as? String == "INFO")
        #expect((written[3]["context"] as? [String: Any])?["level"] as? String == "nonsense")
        // A service the line names is its own, not the pipe's.
        #expect(written[3]["service"] as? String == "billing")
        #expect(written[4]["message"] as? String == #"{"timestamp":"yesterday","msg":"a record serve would refuse is kept whole"}"#)
    }

    /// The same line piped twice is the same event: its id is derived from the line, as `keel serve` derives it.
    @Test func aLineWithoutAnIDGetsTheSameDerivedIDEachTime() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        let config = pipeConfiguration(path)
        let pipeline = try Keel.makePipeline(config)
        let stream = PipeStream(pipeline: pipeline, configuration: config, minimumLevel: .info)
        for text in [#"{"time":1700000000123,"level":30,"msg":"same"}"#, #"{"time":1700000000123,"level":30,"msg":"same"}"#, #"{"level":20,"msg":"debug, dropped"}"#] {
            var line = text
            line.withUTF8 { stream.handle(UnsafeRawBufferPointer($0)) }
        }
        pipeline.close()
        let written = try lines(of: path).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(written.count == 2)
        #expect(written[0]["event_id"] as? String == written[1]["event_id"] as? String)
        #expect((written[0]["event_id"] as? String)?.hasPrefix("018bcfe5") == true)
        #expect(written[0]["timestamp"] as? String == "2023-11-14T22:13:20.123000Z")
    }

    /// Runs `keel pipe ARGS` in `dir`, feeding it `input`; returns its exit status.
    @discardableResult
    func runPipe(_ arguments: [String], input: Data, in dir: URL) throws -> Int32 {
        let process = Process()
        process.executableURL = keel
        process.arguments = ["pipe"] + arguments
        process.currentDirectoryURL = dir
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// `seq 1 1000000 | keel pipe --file F --rotate-size 5MB`: exactly a million lines across F and its rotated
    /// files, in order.
    @Test func aMillionLinesThroughRotationArriveOnceAndInOrder() throws {
        try #require(FileManager.default.isExecutableFile(atPath: keel.path), "build keel first (scripts/test does)")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let count = 1_000_000
        var input = ""
        input.reserveCapacity(count * 8)
        for n in 1...count { input += "\(n)\n" }
        #expect(try runPipe(["--file", "F", "--rotate-size", "5MB"], input: Data(input.utf8), in: dir) == 0)
        let path = dir.appendingPathComponent("F").path
        #expect(FileRotation.rotatedFiles(of: path).count >= 10)
        var expected = 1
        for line in try lines(of: path) {
            // The message is the input line; a plain substring check keeps this fast for a million lines.
            guard line.contains("\"message\":\"\(expected)\"") else {
                Issue.record("line \(expected) is missing or out of order: \(line.prefix(120))")
                return
            }
            expected += 1
        }
        #expect(expected == count + 1)
    }

    /// The audit log syncs every record, far slower than stdin fills: the pipe must slow down, not drop lines.
    @Test func throughTheAuditLogEveryLineIsKeptAndTheLogVerifies() throws {
        try #require(FileManager.default.isExecutableFile(atPath: keel.path), "build keel first (scripts/test does)")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = Array("pipe-test-audit-key-0123".utf8)
        try Data(key).write(to: dir.appendingPathComponent("key"))
        let count = 20_000
        let input = (1...count).map { "\($0)\n" }.joined()
        let arguments = ["--file", "F", "--audit", "audit.log", "--key-file", "key", "--rotate-size", "1MB"]
        #expect(try runPipe(arguments, input: Data(input.utf8), in: dir) == 0)
        #expect(try lines(of: dir.appendingPathComponent("F").path).count == count)
        // The audit log rotated with the file, and its files verify as one chain, oldest first.
        let audit = dir.appendingPathComponent("audit.log").path
        let files = FileRotation.rotatedFiles(of: audit) + [audit]
        #expect(files.count >= 5)
        let report = AuditVerifier(key: key).verify(files: files)
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.records - report.checkpoints == count)
        // Without one of the files in the middle, the chain breaks there.
        let broken = AuditVerifier(key: key).verify(files: files.enumerated().filter { $0.offset != 2 }.map(\.element))
        #expect(!broken.ok)
    }

    @Test func sigtermFlushesWhatWasRead() throws {
        try #require(FileManager.default.isExecutableFile(atPath: keel.path), "build keel first (scripts/test does)")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = keel
        process.arguments = ["pipe", "--file", "app.log"]
        process.currentDirectoryURL = dir
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        stdin.fileHandleForWriting.write(Data((1...1000).map { "line \($0)\n" }.joined().utf8))
        // The input stays open: only the signal ends the run.
        Thread.sleep(forTimeInterval: 1)
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let written = try lines(of: dir.appendingPathComponent("app.log").path)
        #expect(written.count == 1000)
        #expect(written.last?.contains("\"message\":\"line 1000\"") == true)
    }

    @Test func aSinkThatCannotWriteMakesTheExitStatusNonZero() throws {
        try #require(FileManager.default.isExecutableFile(atPath: keel.path), "build keel first (scripts/test does)")
        try #require(FileManager.default.fileExists(atPath: "/dev/full"))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try runPipe(["--file", "/dev/full"], input: Data("one\ntwo\n".utf8), in: dir) == 1)
    }

    @Test func badArgumentsAreRefusedWithAMessage() throws {
        try #require(FileManager.default.isExecutableFile(atPath: keel.path), "build keel first (scripts/test does)")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try runPipe(["--file", "x.log", "--rotate-size", "lots"], input: Data(), in: dir) != 0)
        #expect(try runPipe(["--file", "/nonexistent-dir/x.log"], input: Data("a\n".utf8), in: dir) != 0)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.log").path))
    }
}
