import Foundation
import Keel
@testable import KeelTools
import Logging
import Testing

private func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

private func judge(_ filter: TailFilter, _ line: String) -> TailFilter.Verdict {
    var line = line
    return line.withUTF8 { filter.judge(UnsafeRawBufferPointer($0)) }
}

private func isShown(_ v: TailFilter.Verdict) -> Bool {
    if case .hidden = v { return false }
    return true
}

struct TailFilterTests {
    let info = #"{"timestamp":"2026-11-22T10:00:00.000000Z","level":"INFO","message":"ok","request_id":"r1","tenant_id":"t1"}"#
    let error = #"{"level":"ERROR","message":"Payment FAILED","request_id":"r2","tenant_id":"t2"}"#
    let plain = "panic: something went wrong"

    @Test func levelFilterKeepsThatLevelAndAbove() {
        let filter = TailFilter(minimumLevel: .warning)
        #expect(!isShown(judge(filter, info)))
        #expect(isShown(judge(filter, error)))
        #expect(isShown(judge(filter, #"{"level":"WARN","message":"w"}"#)))
        #expect(!isShown(judge(filter, #"{"message":"no level"}"#)))
    }

    @Test func requestAndTenantFiltersMatchExactly() {
        #expect(isShown(judge(TailFilter(requestID: "r1"), info)))
        #expect(!isShown(judge(TailFilter(requestID: "r1"), error)))
        #expect(!isShown(judge(TailFilter(requestID: "r"), info)))
        #expect(isShown(judge(TailFilter(tenant: "t2"), error)))
        #expect(!isShown(judge(TailFilter(tenant: "t2"), info)))
    }

    @Test func grepMatchesTheWholeLineAsARegularExpression() throws {
        let filter = TailFilter(grep: try TailFilter.pattern("payment (failed|declined)", ignoreCase: true))
        #expect(isShown(judge(filter, error)))
        #expect(!isShown(judge(filter, info)))
        let sensitive = TailFilter(grep: try TailFilter.pattern("payment", ignoreCase: false))
        #expect(!isShown(judge(sensitive, error)))
        #expect(throws: (any Error).self) { try TailFilter.pattern("(unclosed", ignoreCase: false) }
    }

    @Test func nonJSONLinesAreShownPlainUnlessAFieldFilterIsSet() {
        guard case .plain(let text) = judge(TailFilter(), plain) else {
            Issue.record("plain line not shown")
            return
        }
        #expect(text == plain)
        #expect(!isShown(judge(TailFilter(minimumLevel: .info), plain)))
        #expect(!isShown(judge(TailFilter(), "[1, 2]")) == false, "JSON that is not an object is shown as plain text")
    }

    @Test func thePrinterRendersAndStopsOnAClosedPipe() throws {
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let printer = TailPrinter(filter: TailFilter(), style: .pretty, colour: false, fd: fds[1])
        for line in [info, plain, error] {
            var line = line
            line.withUTF8 { printer.handle(UnsafeRawBufferPointer($0)) }
        }
        close(fds[1])
        let out = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        #expect(lines(out) == [
            "2026-11-22 10:00:00.000 INFO  ok  request_id=r1  tenant_id=t1",
            "panic: something went wrong",
            "ERROR Payment FAILED  request_id=r2  tenant_id=t2",
            "",
        ])
        close(fds[0])
        // The reader went away: the next write fails with EPIPE and the printer says so.
        var again: [Int32] = [0, 0]
        #expect(pipe(&again) == 0)
        close(again[0])
        let closed = TailPrinter(filter: TailFilter(), style: .json, colour: false, fd: again[1])
        var line = info
        line.withUTF8 { closed.handle(UnsafeRawBufferPointer($0)) }
        #expect(closed.outputClosed)
        close(again[1])
    }

    @Test func colourIsOnlyUsedWhenAsked() {
        let coloured = TextRenderer(colour: true).render(line: error)
        #expect(coloured.contains("\u{1B}[31m"))
        let plainText = TextRenderer(colour: false).render(line: error)
        #expect(!plainText.contains("\u{1B}"))
    }
}

struct LineReaderTests {
    @Test func multiMegabyteLinesArriveWhole() {
        var reader = LineReader(chunkSize: 4096)
        let big = String(repeating: "y", count: 5 << 20)
        let input = Array(("short\n" + big + "\nlast").utf8)
        var got: [Int] = []
        input.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + 4096, all.count)
                reader.consume(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { got.append($0.count) }
                offset = end
            }
        }
        #expect(got == [5, 5 << 20])
        #expect(reader.hasPartialLine)
        reader.finish { got.append($0.count) }
        #expect(got == [5, 5 << 20, 4])
    }

    @Test func aLineBeyondTheCapIsDeliveredInPieces() {
        var reader = LineReader(maxLineBytes: 1000, chunkSize: 256)
        var got: [Int] = []
        Array(String(repeating: "z", count: 2500).utf8 + [0x0A]).withUnsafeBytes { reader.consume($0) { got.append($0.count) } }
        #expect(got == [1000, 1000, 500])
    }
}

final class FileFollowerTests {
    /// The test's directory; removed when the test ends.
    let dir: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-follow-\(UUID())").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func append(_ path: String, _ text: String) {
        let handle = FileHandle(forWritingAtPath: path) ?? {
            FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)!
        }()
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try? handle.close()
    }

    func poll(_ follower: FileFollower) -> [String] {
        var got: [String] = []
        follower.poll { got.append(String(decoding: $0, as: UTF8.self)) }
        return got
    }

    @Test func followsGrowthAndWaitsForAPartialLine() {
        let path = dir + "/app.log"
        append(path, "one\ntwo\n")
        let follower = FileFollower(path: path)
        #expect(poll(follower) == ["one", "two"])
        #expect(poll(follower) == [])
        append(path, "thr")
        #expect(poll(follower) == [])
        append(path, "ee\n")
        #expect(poll(follower) == ["three"])
    }

    @Test func survivesRotationByRenameWithoutLosingOrRepeatingLines() throws {
        let path = dir + "/app.log"
        append(path, "a1\n")
        let follower = FileFollower(path: path)
        #expect(poll(follower) == ["a1"])
        append(path, "a2\n")
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        append(path + ".1", "a3\n")  // the writer still had the old file open
        append(path, "b1\n")
        #expect(poll(follower) == ["a2", "a3", "b1"])
        append(path, "b2\n")
        #expect(poll(follower) == ["b2"])
    }

    @Test func survivesCopyTruncate() throws {
        let path = dir + "/app.log"
        append(path, "old1\nold2\n")
        let follower = FileFollower(path: path)
        #expect(poll(follower) == ["old1", "old2"])
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.close()
        append(path, "new1\n")
        #expect(poll(follower) == ["new1"])
    }

    @Test func waitsForAFileThatDoesNotExistYet() {
        let path = dir + "/later.log"
        let follower = FileFollower(path: path)
        #expect(!follower.isOpen)
        #expect(poll(follower) == [])
        append(path, "hello\n")
        #expect(poll(follower) == ["hello"])
    }
}

/// Where a follower resumes after a restart: the same file goes on at its offset; another file at the path (rotated
/// meanwhile) or the same one shorter than the offset (truncated) starts over; a resumed follower reports where it is.
struct FileFollowerResumeTests {
    @Test(arguments: [
        (FileFollower.Position(device: 1, inode: 7, offset: 100), UInt64(1), UInt64(7), Int64(150), Int64(100)),
        (FileFollower.Position(device: 1, inode: 7, offset: 100), 1, 7, 100, 100),
        (FileFollower.Position(device: 1, inode: 7, offset: 100), 1, 8, 500, 0),  // rotated: a new file
        (FileFollower.Position(device: 1, inode: 7, offset: 100), 2, 7, 500, 0),  // another device
        (FileFollower.Position(device: 1, inode: 7, offset: 100), 1, 7, 40, 0),  // truncated
        (FileFollower.Position(device: 1, inode: 7, offset: -5), 1, 7, 40, 0),
    ])
    func resumeOffsetDecides(saved: FileFollower.Position, device: UInt64, inode: UInt64, size: Int64, expected: Int64) {
        #expect(FileFollower.resumeOffset(saved: saved, device: device, inode: inode, size: size) == expected)
        #expect(FileFollower.resumeOffset(saved: nil, device: device, inode: inode, size: size) == 0)
    }

    @Test func aResumedFollowerReadsOnFromItsPositionAndReportsIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-resume-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "one\ntwo\nthr".write(toFile: path, atomically: false, encoding: .utf8)
        let first = FileFollower(path: path, resumingAt: nil)
        var lines: [String] = []
        first.poll { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines == ["one", "two"])
        let position = try #require(first.position)
        #expect(position.offset == 8, "past the last whole line, not the partial one")
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("ee\nfour\n".utf8))
        handle.closeFile()
        let resumed = FileFollower(path: path, resumingAt: position)
        lines = []
        resumed.poll { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines == ["three", "four"])
    }
}
