import Foundation
import Keel
import Logging
import Testing

/// Rotation must never lose, duplicate or split a line, however many writers and rotations there are.
@Suite struct FileRotationTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-rotation-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every line of the rotated files (oldest first, decompressed) and then of the current file.
    func allLines(of path: String) throws -> [Substring] {
        var text = ""
        for file in FileRotation.rotatedFiles(of: path) + [path] {
            let data = file.hasSuffix(".gz") ? try gunzipped(file) : try Data(contentsOf: URL(fileURLWithPath: file))
            let chunk = String(decoding: data, as: UTF8.self)
            #expect(chunk.isEmpty || chunk.hasSuffix("\n"), "\(file) ends inside a line")
            text += chunk
        }
        return text.split(separator: "\n")
    }

    @Test func concurrentWritersAcrossManyRotationsLoseAndDuplicateNothing() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        let sink = try FileSink(
            path: path, bufferSize: 8192, flushInterval: nil, rotation: FileRotation(maxBytes: 64 * 1024, compress: true))
        let tasks = 8
        let perTask = 20_000
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    for n in 0..<perTask {
                        var line = #"{"task":\#(t),"n":\#(n),"pad":"0123456789abcdef"}"# + "\n"
                        line.withUTF8 { sink.write(UnsafeRawBufferPointer($0), level: .info, storageClass: .ops) }
                    }
                }
            }
        }
        sink.close()
        let rotated = FileRotation.rotatedFiles(of: path)
        #expect(rotated.count > 50, "only \(rotated.count) rotations")
        #expect(rotated.allSatisfy { $0.hasSuffix(".gz") })
        let lines = try allLines(of: path)
        #expect(lines.count == tasks * perTask)
        var next = [Int](repeating: 0, count: tasks)
        for line in lines {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let t = object["task"] as? Int, let n = object["n"] as? Int
            else {
                Issue.record("not a line we wrote: \(line)")
                continue
            }
            #expect(n == next[t], "task \(t): \(n) after \(next[t] - 1)")
            next[t] = n + 1
        }
        #expect(next == [Int](repeating: perTask, count: tasks))
        // No file outgrew the limit (each holds whole lines only, checked above).
        for file in FileRotation.rotatedFiles(of: path) {
            #expect(try gunzipped(file).count <= 64 * 1024)
        }
    }

    /// The contents of a gzip file, through the system's gzip (an independent implementation).
    func gunzipped(_ file: String) throws -> Data {
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", file]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        #expect(gunzip.terminationStatus == 0, "\(file) is not valid gzip")
        return data
    }

    @Test func retentionKeepsTheNewestFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        let sink = try FileSink(path: path, flushInterval: nil, rotation: FileRotation(maxBytes: 1000, keepFiles: 3))
        for n in 0..<1000 {
            var line = "line \(n) " + String(repeating: "x", count: 40) + "\n"
            line.withUTF8 { sink.write(UnsafeRawBufferPointer($0), level: .info, storageClass: .ops) }
        }
        sink.close()
        let rotated = FileRotation.rotatedFiles(of: path)
        #expect(rotated.count == 3)
        let lines = try allLines(of: path)
        // What is kept is the end of the stream, contiguous.
        #expect(lines.last?.hasPrefix("line 999 ") == true)
        let first = Int(lines.first!.split(separator: " ")[1])!
        #expect(lines.map { Int($0.split(separator: " ")[1])! } == Array(first..<1000))
    }

    /// Writes one line of `text` to `sink`.
    func write(_ text: String, to sink: FileSink) {
        var line = text + "\n"
        line.withUTF8 { sink.write(UnsafeRawBufferPointer($0), level: .info, storageClass: .ops) }
    }

    @Test func reopenFollowsExternalRotationByRenaming() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        let sink = try FileSink(path: path, flushInterval: nil)
        write("before", to: sink)
        sink.flush()
        // logrotate `create`: the file is renamed away and a new one created; lines keep going to the old one
        // until SIGHUP makes the sink reopen.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        write("between", to: sink)
        sink.reopen()
        write("after", to: sink)
        sink.close()
        #expect(try String(contentsOfFile: path + ".1", encoding: .utf8) == "before\nbetween\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "after\n")
    }

    @Test func copytruncateNeedsNothingAndSizeIsRelearnedOnReopen() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        let sink = try FileSink(path: path, flushInterval: nil, rotation: FileRotation(maxBytes: 100))
        write("one", to: sink)
        sink.flush()
        try FileManager.default.copyItem(atPath: path, toPath: path + ".1")
        truncate(path, 0)
        sink.reopen()
        write("two", to: sink)
        sink.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two\n")
        #expect(FileRotation.rotatedFiles(of: path).isEmpty)
    }

    @Test func dailyAndSizeDecisions() {
        let size = FileRotation(maxBytes: 100)
        #expect(!size.isDue(size: 0, incoming: 500, openedOnDay: 1, today: 1), "an empty file takes any line")
        #expect(!size.isDue(size: 60, incoming: 40, openedOnDay: 1, today: 1))
        #expect(size.isDue(size: 60, incoming: 41, openedOnDay: 1, today: 1))
        let daily = FileRotation(daily: true)
        #expect(!daily.isDue(size: 10, incoming: 10, openedOnDay: 20_000, today: 20_000))
        #expect(daily.isDue(size: 10, incoming: 10, openedOnDay: 20_000, today: 20_001))
    }

    @Test func aFileThatCannotBeOpenedIsAClearError() {
        #expect(throws: SinkError.self) {
            _ = try FileSink(path: "/nonexistent-dir/app.log", flushInterval: nil)
        }
    }
}
