import Foundation
import Keel
import Testing

@testable import KeelTools

/// Rotated, gzip'd files read once: every line, from where a stopped run left off, never again once complete; a
/// damaged or truncated file is an error naming it, and a file replaced at the same path is read from its start.
@Suite struct CompressedFileReaderTests {
    static func file(_ members: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-gz-\(UUID()).log.gz").path
        // Members one after another, as `cat a.gz b.gz` gives (gzip reads them as one file).
        try Data(members.flatMap { Gzip.compress(Array($0.utf8), level: 6) }).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func lines(_ path: String, after saved: FileFollower.Position? = nil, progressBytes: Int = 1 << 20,
                      until stop: Int = .max) throws -> (lines: [String], reached: FileFollower.Position, progress: [FileFollower.Position]) {
        var lines: [String] = []
        var progress: [FileFollower.Position] = []
        let reached = try CompressedFileReader.read(
            path, after: saved, progressBytes: progressBytes, while: { lines.count < stop },
            onLine: { lines.append(String(decoding: $0, as: UTF8.self)) }, progress: { progress.append($0) })
        return (lines, reached, progress)
    }

    @Test func everyLineOfEveryMemberIsReadAndACompleteFileIsNotReadAgain() throws {
        let path = try Self.file(["one\ntwo\n", "three\nfour without a newline"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(CompressedFileReader.handles(path) && !CompressedFileReader.handles("app.log"))
        let first = try Self.lines(path)
        #expect(first.lines == ["one", "two", "three", "four without a newline"])
        #expect(first.reached.complete == true)
        let again = try Self.lines(path, after: first.reached)
        #expect(again.lines.isEmpty && again.reached == first.reached)
    }

    @Test func aRunStoppedPartWayIsResumedAfterItsLastCommittedLine() throws {
        let text = (0..<20_000).map { "line \($0) " + String(repeating: "x", count: 40) + "\n" }.joined()
        let path = try Self.file([text])
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Progress every 64 KiB of decompressed bytes; stop after a few thousand lines.
        let stopped = try Self.lines(path, progressBytes: 64 << 10, until: 5_000)
        #expect(stopped.reached.complete == nil)
        #expect(!stopped.progress.isEmpty)
        // Resuming from the last committed progress (what a crash leaves) gives every line after it, none lost.
        let committed = try #require(stopped.progress.last)
        let rest = try Self.lines(path, after: committed)
        let before = String(text.utf8.prefix(Int(committed.offset)))!
        #expect(before.hasSuffix("\n"), "a committed position is after a whole line")
        #expect(before.split(separator: "\n").count + rest.lines.count == 20_000)
        #expect(rest.lines.first == "line \(before.split(separator: "\n").count) " + String(repeating: "x", count: 40))
        #expect(rest.reached.complete == true)
    }

    @Test func anotherFileAtThePathIsReadFromItsStart() throws {
        let path = try Self.file(["old\n"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let old = try Self.lines(path)
        try FileManager.default.removeItem(atPath: path)
        try Data(Gzip.compress(Array("new one\nnew two\n".utf8))).write(to: URL(fileURLWithPath: path + ".tmp"))
        // Written to another name and renamed: another inode, as a rotation makes it.
        try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
        var moved = old.reached
        moved.inode &+= 1
        #expect(try Self.lines(path, after: moved).lines == ["new one", "new two"])
    }

    @Test func aTruncatedOrForeignFileIsAnErrorNamingIt() throws {
        let path = try Self.file([(0..<2000).map { "line \($0)\n" }.joined()])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let whole = try #require(FileManager.default.contents(atPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        #expect { try Self.lines(path) } throws: { "\($0)".contains(path) && "\($0)".contains("truncated") }
        try Data("plain text, not gzip\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try Self.lines(path) } throws: { "\($0)".contains(path) && "\($0)".contains("not a gzip file") }
        #expect { try Self.lines(path + ".missing") } throws: { "\($0)".contains("cannot read") }
    }
}
