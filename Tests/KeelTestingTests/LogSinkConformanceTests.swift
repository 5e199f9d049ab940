import Foundation
import Keel
import KeelTesting
import Logging
import Testing

/// Every sink Keel ships passes KeelTesting's ``LogSinkConformance``.
@Suite final class LogSinkConformanceTests {
    /// Where a test's files go; removed when the test ends.
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("keel-sink-\(UUID())")

    deinit { try? FileManager.default.removeItem(at: root) }

    func temporaryPath(_ name: String) throws -> String {
        let directory = root.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    static func lines(of path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func expectConforms(_ make: () throws -> LogSinkConformance.Subject) {
        let failures = LogSinkConformance.run(make: make)
        #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n"))")
    }

    @Test func theInMemorySink() {
        expectConforms {
            let sink = InMemorySink()
            return .init(sink: sink, written: { sink.lines }, writesAfterClose: { sink.writesAfterClose })
        }
        #expect(LogSinkConformance.checkNames.count == 5)
    }

    @Test func theFileSink() throws {
        expectConforms {
            let path = try temporaryPath("app.log")
            let diagnostics = Diagnostics()
            let sink = try FileSink(path: path, diagnostics: diagnostics)
            return .init(sink: sink, written: { try Self.lines(of: path) }, writesAfterClose: { diagnostics.writesAfterClose })
        }
    }

    @Test func theAuditSink() throws {
        expectConforms {
            let path = try temporaryPath("audit.log")
            let diagnostics = Diagnostics()
            let sink = try AuditSink(
                path: path, key: Array(repeating: 7, count: 32), service: "conformance", sync: .never,
                classes: Set(StorageClass.all), diagnostics: diagnostics)
            return .init(sink: sink, written: { try Self.lines(of: path) }, writesAfterClose: { diagnostics.writesAfterClose })
        }
    }

    @Test func theConsoleSink() throws {
        expectConforms {
            // Standard output is a file here, so what was written can be read back.
            let path = try temporaryPath("stdout")
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            let diagnostics = Diagnostics()
            let sink = ConsoleSink(format: .json, streams: .stdoutOnly, stdoutFD: fd, stderrFD: fd, diagnostics: diagnostics)
            return .init(sink: sink, written: { try Self.lines(of: path) }, writesAfterClose: { diagnostics.writesAfterClose })
        }
    }
}
