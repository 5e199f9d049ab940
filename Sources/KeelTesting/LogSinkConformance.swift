public import Foundation
public import Keel
import Logging
import Synchronization

/// The contract of ``LogSink``, as checks every sink must pass, in the spirit of Go's `slogtest`: lines from one
/// thread stay in order; the bytes a sink is handed are borrowed (it copies what it keeps); concurrent writers never
/// interleave or lose lines; ``LogSink/flush()`` makes everything written so far visible; and a write after
/// ``LogSink/close()`` neither crashes nor vanishes silently — it is counted.
///
/// ```swift
/// let failures = LogSinkConformance.run {
///     let sink = InMemorySink()
///     return .init(sink: sink, written: { sink.lines }, writesAfterClose: { sink.writesAfterClose })
/// }
/// #expect(failures.isEmpty)
/// ```
public enum LogSinkConformance {
    /// A fresh sink under test, and how to see what it did.
    public struct Subject {
        public var sink: any LogSink
        /// Every line the sink has stored so far, in order (newlines may be kept or not; lines that are not the
        /// suite's, such as an audit log's checkpoints, are ignored).
        public var written: () throws -> [String]
        /// How many writes the sink counted as arriving after it was closed.
        public var writesAfterClose: () -> Int

        public init(sink: any LogSink, written: @escaping () throws -> [String], writesAfterClose: @escaping () -> Int) {
            self.sink = sink
            self.written = written
            self.writesAfterClose = writesAfterClose
        }
    }

    /// Runs every check (or those named in `only`), each on a subject of its own, and returns what failed.
    public static func run(only: Set<String>? = nil, make: () throws -> Subject) -> [ConformanceFailure] {
        var failures: [ConformanceFailure] = []
        for (name, check) in checks where only?.contains(name) ?? true {
            failures += ConformanceRecorder.run(name) { recorder in
                let subject = try make()
                defer { subject.sink.close() }
                try check(&recorder, subject)
            }
        }
        return failures
    }

    typealias Check = @Sendable (inout ConformanceRecorder, Subject) throws -> Void

    static let checks: [(String, Check)] = [
        ("order within a thread", orderWithinAThread),
        ("borrowed bytes", borrowedBytes),
        ("concurrent writes", concurrentWrites),
        ("flush", flushMakesWritesVisible),
        ("writes after close", writesAfterClose),
    ]

    /// The names of the checks.
    public static var checkNames: [String] { checks.map(\.0) }

    /// A canonical line whose message is `conformance <tag>`.
    static func line(_ tag: String, level: Logger.Level = .info) -> String {
        "{\"timestamp\":\"2026-11-23T00:00:00.000000Z\",\"level\":\"\(level.canonicalName)\",\"message\":\"conformance \(tag)\","
            + "\"event\":\"log\",\"schema_version\":1,\"event_id\":\"conformance-\(tag.replacingOccurrences(of: " ", with: "-"))\","
            + "\"storage_class\":\"ops\"}\n"
    }

    static func write(_ sink: any LogSink, _ text: String) {
        var text = text
        text.withUTF8 { sink.write(UnsafeRawBufferPointer($0), level: .info, storageClass: .ops) }
        if sink.wantsBatchEnds { sink.endBatch() }
    }

    /// The tags of the suite's lines the sink stored, in order; a line of the suite that is not whole JSON is a
    /// failure.
    static func tags(_ subject: Subject, _ r: inout ConformanceRecorder) throws -> [String] {
        var tags: [String] = []
        for line in try subject.written() where line.contains("\"conformance ") {
            guard let message = (try? JSONParser.parse(line.trimmingCharacters(in: .newlines)))?["message"]?.stringValue,
                message.hasPrefix("conformance ")
            else {
                r.expect(false, "a line is not whole: \(line.prefix(120))")
                continue
            }
            tags.append(String(message.dropFirst("conformance ".count)))
        }
        return tags
    }

    static func orderWithinAThread(_ r: inout ConformanceRecorder, _ subject: Subject) throws {
        let expected = (0..<500).map { "line \($0)" }
        for tag in expected { write(subject.sink, line(tag)) }
        subject.sink.flush()
        let found = try tags(subject, &r)
        r.expect(found == expected, "\(found.count) lines, first out of place: \(zip(found, expected).first { $0 != $1 }.map { "\($0)" } ?? "none")")
    }

    static func borrowedBytes(_ r: inout ConformanceRecorder, _ subject: Subject) throws {
        // One buffer, written, then overwritten and written again: a sink that kept the pointer shows the second
        // line twice.
        let first = Array(line("borrowed first").utf8)
        let second = Array(line("borrowed later").utf8)
        var buffer = [UInt8](repeating: 0x20, count: max(first.count, second.count))
        buffer.replaceSubrange(0..<first.count, with: first)
        buffer.withUnsafeBytes { subject.sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<first.count]), level: .info, storageClass: .ops) }
        for i in buffer.indices { buffer[i] = 0x78 }
        buffer.replaceSubrange(0..<second.count, with: second)
        buffer.withUnsafeBytes { subject.sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<second.count]), level: .info, storageClass: .ops) }
        for i in buffer.indices { buffer[i] = 0x78 }
        subject.sink.flush()
        let found = try tags(subject, &r)
        r.expect(found == ["borrowed first", "borrowed later"], "after the caller reused its buffer the sink holds \(found)")
    }

    static func concurrentWrites(_ r: inout ConformanceRecorder, _ subject: Subject) throws {
        let threads = 4
        let perThread = 200
        let group = DispatchGroup()
        // Sinks are Sendable; only the sink crosses to the writing threads.
        let sink = subject.sink
        for t in 0..<threads {
            group.enter()
            Thread {
                for n in 0..<perThread { write(sink, line("thread \(t) \(n)")) }
                group.leave()
            }.start()
        }
        guard group.wait(timeout: .now() + 60) == .success else {
            r.expect(false, "\(threads) threads did not finish writing \(perThread) lines each within 60 s")
            return
        }
        subject.sink.flush()
        let found = try tags(subject, &r)
        r.expect(found.count == threads * perThread, "\(found.count) lines of \(threads * perThread)")
        r.expect(Set(found).count == found.count, "lines were written twice")
        for t in 0..<threads {
            let mine = found.filter { $0.hasPrefix("thread \(t) ") }
            r.expect(mine == (0..<perThread).map { "thread \(t) \($0)" }, "thread \(t)'s lines are out of order or missing")
        }
    }

    static func flushMakesWritesVisible(_ r: inout ConformanceRecorder, _ subject: Subject) throws {
        for n in 0..<20 { write(subject.sink, line("flushed \(n)")) }
        subject.sink.flush()
        let found = try tags(subject, &r)
        r.expect(found.count == 20, "after flush, \(found.count) of 20 lines are visible")
    }

    static func writesAfterClose(_ r: inout ConformanceRecorder, _ subject: Subject) throws {
        write(subject.sink, line("before close"))
        subject.sink.close()
        let before = subject.writesAfterClose()
        for n in 0..<3 { write(subject.sink, line("after close \(n)")) }
        subject.sink.flush()
        subject.sink.close()
        let counted = subject.writesAfterClose() - before
        r.expect(counted == 3, "3 writes after close were counted as \(counted)")
        let found = try tags(subject, &r)
        r.expect(found.first == "before close", "the line written before close is gone")
    }
}
