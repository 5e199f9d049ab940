@testable import KeelRules
import Foundation
import Keel
@testable import KeelServer
@testable import KeelWire
import Testing

/// `keel query`, `keel export`, `keel forget` and `keel tail --server` against a live server: the commands a person
/// types, run as processes.
@Suite struct CommandLineTests {
    /// Runs `keel ARGS` to completion (at most 60 s) and returns its exit status, stdout and stderr.
    static func keel(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String, String) {
        try await run(CrashDurabilityTests.binary, arguments, environment: environment)
    }

    /// Runs `executable ARGS` to completion (at most 60 s), waiting without holding a thread of the concurrency pool.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String, String) {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build it first: swift build")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // Pipes are read on their own handlers: a blocking read here would hold one of the few cooperative threads
        // the in-process server needs to answer the command.
        let stdout = Printed(out)
        let stderr = Printed(err)
        try process.run()
        // At most two minutes: a debug build under the whole suite on two cores can take half a minute for a page.
        for _ in 0..<2400 where process.isRunning || !stdout.ended || !stderr.ended {
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, stdout.text, stderr.text)
    }

    /// `keel query '<LogQL>'`: a log query prints its lines oldest first; a metric query a table, or the server's
    /// JSON with `--json`; a bad query says where it goes wrong.
    @Test func logQLFromTheCommandLine() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let now = Date()
            var lines: [String] = []
            for n in 0..<6 {
                let message = n == 4 ? "db timeout" : "ok \(n)"
                let level = n % 3 == 0 ? "ERROR" : "INFO"
                let service = n % 2 == 0 ? "api" : "worker"
                let at = now.addingTimeInterval(Double(n - 10) * 60)
                lines.append(keelLine("l-\(n)", message: message, at: at, level: level, extra: #""service":"\#(service)""#))
            }
            #expect(try await client.ingest(lines, token: fixture.ingestA).status == 200)
            let server = ["--server", "http://127.0.0.1:\(client.port)", "--token", fixture.readA]

            let (status, out, err) = try await Self.keel(["query", #"{service="api"} |= "o""#, "--since", "1h", "--json"] + server)
            #expect(status == 0, "\(err)")
            let ids = out.split(separator: "\n").compactMap { try? JSONParser.parse(String($0))["event_id"]?.stringValue }
            #expect(ids == ["l-0", "l-2", "l-4"])

            let (tableStatus, table, tableErr) = try await Self.keel(["query", #"sum by (level) (count_over_time({service=~".+"}[1h]))"#] + server)
            #expect(tableStatus == 0, "\(tableErr)")
            #expect(table == "level  value\nERROR  2\nINFO   4\n", "\(table)")

            let (jsonStatus, json, _) = try await Self.keel(["query", #"count_over_time({service="worker"}[1h])"#, "--since", "30m", "--step", "10m", "--json"] + server)
            #expect(jsonStatus == 0)
            #expect((try? JSONParser.parse(json))?["data"]?["resultType"]?.stringValue == "matrix")

            let (badStatus, _, bad) = try await Self.keel(["query", #"sum(rate({service="api"}[5m])"#] + server)
            #expect(badStatus != 0)
            #expect(bad.contains("parse error at line 1, col 30"), "\(bad)")
            let (mixedStatus, _, mixed) = try await Self.keel(["query", #"{service="api"}"#, "--level", "error"] + server)
            #expect(mixedStatus != 0)
            #expect(mixed.contains("filter in the query itself"))
        }
    }

    @Test func alertsFromTheCommandLine() async throws {
        let fixture = try TestServer { $0.ruleFiles = [RuleNamespace(tenant: "tenant-a", name: "team", file: try! RuleFile.parse(RulerTests.rules))] }
        defer { fixture.remove() }
        try await fixture.run { client in
            let server = ["--server", "http://127.0.0.1:\(client.port)", "--token", fixture.readA]
            let (quietStatus, quiet, quietErr) = try await Self.keel(["alerts", "--firing"] + server)
            #expect(quietStatus == 0, "\(quietErr)")
            #expect(quiet == "No rule has an alert firing.\n", "\(quiet)")

            let spike = (0..<5).map { keelLine("s\($0)", level: "ERROR", extra: #""service":"api""#) }
            #expect(try await client.ingest(spike, token: fixture.ingestA).status == 200)
            await client.server.evaluateRules(now: Timestamp.now().microsecondsSinceEpoch + 61_000_000)
            let (status, out, err) = try await Self.keel(["alerts"] + server)
            #expect(status == 0, "\(err)")
            let lines = out.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("NAMESPACE/GROUP  RULE        STATE   HEALTH  LAST EVALUATION") == true, "\(out)")
            #expect(lines.dropFirst().first?.hasPrefix("team/errors      ErrorSpike  firing  ok      20") == true, "\(out)")
            #expect(lines.dropFirst(2).first?.hasPrefix("    firing  service=api severity=page  value 5  since 20") == true, "\(out)")
            #expect(lines.dropFirst(2).first?.hasSuffix("— api is failing") == true, "\(out)")

            let (otherStatus, other, _) = try await Self.keel(["alerts", "--server", "http://127.0.0.1:\(client.port)", "--token", fixture.readB])
            #expect(otherStatus == 0 && other.hasPrefix("No rules."), "another tenant has none: \(other)")
        }
    }

    /// `keel ship`: a file's lines reach the server; after a rotation by rename while it was stopped, the rest of the
    /// old file and the new one; after a copytruncate, the new lines; nothing lost, nothing twice.
    @Test func shipFollowsFilesThroughRotationsAndRestarts() async throws {
        let fixture = try TestServer()
        let work = fixture.directory + "-ship"
        defer {
            fixture.remove()
            try? FileManager.default.removeItem(atPath: work)
        }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let log = work + "/app.log"
        @Sendable func append(_ range: Range<Int>) throws {
            let text = range.map { n in
                n % 3 == 0 ? "plain line \(n)\n" : keelLine("line-\(n)", message: "json line \(n)", extra: #""service":"shop""#) + "\n"
            }.joined()
            if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
            let handle = try #require(FileHandle(forWritingAtPath: log))
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            handle.closeFile()
        }
        try await fixture.run { client in
            // The suite's other tests share the cores: give the server time.
            let arguments = [log, "--to", "http://127.0.0.1:\(client.port)", "--token", fixture.ingestA, "--once", "--wait", "120",
                             "--spool", work + "/spool", "--positions", work + "/positions.json"]
            func shipped() async throws -> [String] {
                try await client.events(token: fixture.readA, query: "since=1h").compactMap { $0["message"]?.stringValue }
            }
            try append(0..<100)
            var (status, _, err) = try await Self.keel(["ship"] + arguments)
            #expect(status == 0, "\(err)")
            #expect(Set(try await shipped()).count == 100)

            // Rotated by rename while keel ship was stopped: 20 more lines in the old file, 30 in a new one.
            try append(100..<120)
            try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
            try append(120..<150)
            (status, _, err) = try await Self.keel(["ship"] + arguments)
            #expect(status == 0, "\(err)")
            var messages = try await shipped()
            #expect(messages.count == 150 && Set(messages).count == 150, "\(messages.count) shipped")

            // Truncated in place after a copy (copytruncate): the new lines only.
            try append(150..<160)
            (status, _, err) = try await Self.keel(["ship"] + arguments)
            try FileManager.default.copyItem(atPath: log, toPath: log + ".2")
            try Data().write(to: URL(fileURLWithPath: log))
            try append(160..<165)
            (status, _, err) = try await Self.keel(["ship"] + arguments)
            #expect(status == 0, "\(err)")
            messages = try await shipped()
            let expected = Set((0..<165).map { $0 % 3 == 0 ? "plain line \($0)" : "json line \($0)" })
            #expect(messages.count == 165 && Set(messages) == expected, "\(messages.count) shipped, missing \(expected.subtracting(messages).sorted().prefix(5))")
            #expect(err.contains("ship: ") && err.contains("sent"), "progress is printed: \(err)")

            // A rotated file compressed meanwhile, named with the live one: read once, to its end, and not again.
            let compressed = (200..<240).map { keelLine("gz-\($0)", message: "gz line \($0)") + "\n" }.joined()
            try Data(Gzip.compress(Array(compressed.utf8))).write(to: URL(fileURLWithPath: log + ".3.gz"))
            for _ in 0..<2 {
                (status, _, err) = try await Self.keel(["ship", log + ".3.gz"] + arguments)
                #expect(status == 0, "\(err)")
            }
            messages = try await shipped()
            #expect(messages.count == 205 && messages.filter { $0.hasPrefix("gz line") }.count == 40, "\(messages.count) shipped")
            // One that is not gzip is named, and the run says it failed; the others are still shipped.
            try Data("not gzip".utf8).write(to: URL(fileURLWithPath: work + "/broken.gz"))
            (status, _, err) = try await Self.keel(["ship", work + "/broken.gz"] + arguments)
            #expect(status == 1 && err.contains("broken.gz") && err.contains("not a gzip file"), "\(status) \(err)")
        }
    }

    @Test func queryExportAndForgetFromTheCommandLine() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let start = Date(timeIntervalSince1970: 1_795_435_200)
            let lines = (0..<1500).map { n in
                keelLine("c-\(n)", message: n % 500 == 0 ? "needle \(n)" : "hay \(n)", at: start.addingTimeInterval(Double(n)),
                         extra: "\"run_id\":\"run-\(n % 3)\",\"user_id\":\"user-\(n % 2)\"")
            }
            _ = try await client.ingest(Array(lines[..<1000]), token: fixture.ingestA)
            _ = try await client.ingest(Array(lines[1000...]), token: fixture.ingestA)
            let server = ["--server", "http://127.0.0.1:\(client.port)"]

            let (status, out, err) = try await Self.keel(["query", "-q", "NEEDLE", "--from", "2026-11-23T00:00:00Z", "--json"] + server, environment: ["KEEL_TOKEN": fixture.readA])
            #expect(status == 0, "\(err)")
            let found = out.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
            #expect(found.compactMap { $0["message"]?.stringValue } == ["needle 0", "needle 500", "needle 1000"])

            // More than one page, and the limit holds.
            let (manyStatus, many, manyErr) = try await Self.keel(["query", "--run-id", "run-1", "--limit", "1200", "--json", "--token", fixture.readA] + server)
            #expect(manyStatus == 0, "\(manyErr)")
            #expect(many.split(separator: "\n").count == 500)

            let file = fixture.directory + "/export.ndjson"
            let (exported, _, exportErr) = try await Self.keel(
                ["export", "--from", "2026-11-23T12:00:00Z", "--to", "2026-11-23T12:10:00Z", "-o", file, "--token", fixture.readA] + server)
            #expect(exported == 0, "\(exportErr)")
            #expect(exportErr.contains("exported 600 events"))
            let written = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
            #expect(written.count == 600)
            #expect(written.first?.contains("\"event_id\":\"c-0\"") == true)

            let (_, dry, _) = try await Self.keel(["forget", "--user-id", "user-1", "--token", fixture.adminA] + server)
            #expect(dry.contains("750 events would be deleted"))
            let (_, done, _) = try await Self.keel(["forget", "--user-id", "user-1", "--yes", "--token", fixture.adminA] + server)
            #expect(done.contains("deleted 750 events"))
            #expect(try await client.events(token: fixture.readA, query: "user_id=user-1").isEmpty)

            // A refused request says why and fails.
            let (refused, _, why) = try await Self.keel(["query", "--token", fixture.ingestA] + server)
            #expect(refused != 0)
            #expect(why.contains("403"))
        }
    }

    @Test func tailFollowsAServer() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CrashDurabilityTests.binary)
            process.arguments = ["tail", "--server", "http://127.0.0.1:\(client.port)", "--token", fixture.readA, "--json", "--level", "warning"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            let printed = Printed(out)
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            try await Task.sleep(for: .milliseconds(500))
            _ = try await client.ingest(
                [keelLine("t-1", message: "quiet"), keelLine("t-2", message: "loud", level: "ERROR")], token: fixture.ingestA)
            for _ in 0..<200 where !printed.text.contains("loud") { try await Task.sleep(for: .milliseconds(50)) }
            let seen = printed.text
            #expect(seen.contains("\"event_id\":\"t-2\""))
            #expect(!seen.contains("quiet"))
        }
    }
}

/// What a child process prints on one pipe, collected on a thread of its own as it comes.
final class Printed: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false

    /// Reads `pipe` to its end on a thread of its own (not the concurrency pool's: the in-process server needs those),
    /// keeping what has come so far readable. Blocking reads, not `readabilityHandler`: under the whole suite's load
    /// the handler was seen to stop short of the end of a process's output.
    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        let thread = Thread { [self] in
            while true {
                let more = handle.availableData
                lock.withLock {
                    data += more
                    if more.isEmpty { done = true }
                }
                if more.isEmpty { return }
            }
        }
        thread.start()
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    var ended: Bool { lock.withLock { done } }
}
