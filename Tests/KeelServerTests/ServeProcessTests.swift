import Foundation
import Keel
import Logging
@testable import KeelServer
import Testing

/// `keel serve` as a process meets what production meets: an address already taken, a second server on the same data
/// directory, signals. It starts or refuses at once with one line saying why, and stops when told.
@Suite struct ServeProcessTests {
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("keel-serve-\(UUID())").path
    }

    @Test func anAddressInUseEndsTheProcessAtOnceSayingSo() async throws {
        let (held, refused) = (Self.temporaryDirectory(), Self.temporaryDirectory())
        defer { for directory in [held, refused] { try? FileManager.default.removeItem(atPath: directory) } }
        let first = try await CrashDurabilityTests.start(held)
        defer { first.kill9() }
        let started = ContinuousClock.now
        let (status, _, err) = try await CommandLineTests.keel(["serve", "--data", refused, "--listen", "127.0.0.1:\(first.port)"])
        #expect(status != 0)
        #expect(err.contains("127.0.0.1:\(first.port) is already in use"), "\(err)")
        // Not a zombie: it ended by itself (the helper would kill it at 60 s) without a flood of retries. The bound is
        // loose: alone this takes half a second, in the whole suite on two cores it has taken 18 s.
        #expect(ContinuousClock.now - started < .seconds(40))
        #expect(err.split(separator: "\n").count < 20, "\(err.prefix(2000))")
    }

    @Test func aSecondServerOnTheSameDataDirectoryRefusesNamingTheHolder() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await CrashDurabilityTests.start(directory)
        let (status, _, err) = try await CommandLineTests.keel(
            ["serve", "--data", directory, "--listen", "127.0.0.1:\(first.port + 1)"])
        #expect(status != 0)
        #expect(err.contains(directory) && err.contains("pid \(first.process.processIdentifier)"), "\(err)")
        // The lock goes with the process, however it ends: after kill -9 a new server starts on the directory.
        first.kill9()
        let second = try await CrashDurabilityTests.start(directory)
        defer { second.kill9() }
        #expect(second.process.isRunning)
    }

    @Test func sigtermStopsTheServer() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let serve = try await CrashDurabilityTests.start(directory)
        // Without --store, events are kept by the block store.
        #expect(FileManager.default.fileExists(atPath: directory + "/blocks"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/events"))
        kill(serve.process.processIdentifier, SIGTERM)
        for _ in 0..<100 where serve.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!serve.process.isRunning, "still running 5 s after SIGTERM")
        if serve.process.isRunning { serve.kill9() } else { #expect(serve.process.terminationStatus == 0) }
    }

    /// Without the key, a log re-chained from scratch cannot be told from the original: `keel verify` refuses to
    /// call that a success unless asked for the chain alone.
    @Test func verifyWithoutAKeyFailsUnlessToldNoKey() async throws {
        let directory = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/audit.log"
        let sink = try AuditSink(path: path, key: Array("0123456789abcdef-test-key".utf8), service: "billing", checkpointEvery: 10)
        for n in 0..<25 {
            var line = #"{"level":"INFO","message":"refund \#(n)","event":"refund.issued","storage_class":"audit"}"# + "\n"
            line.withUTF8 { sink.write(UnsafeRawBufferPointer($0), level: .info, storageClass: .audit) }
        }
        sink.close()
        let (refused, _, why) = try await CommandLineTests.keel(["verify", path])
        #expect(refused != 0)
        #expect(why.contains("--key-file") && why.contains("--no-key"), "\(why)")
        let (status, out, err) = try await CommandLineTests.keel(["verify", "--no-key", path])
        #expect(status == 0, "\(out)\(err)")
        #expect(out.contains("re-chained from scratch would pass"), "\(out)")
    }

    @Test func tokensAreCreatedWithExpiryListedAndRevokedFromTheCommandLine() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (created, token, note) = try await CommandLineTests.keel(
            ["token", "create", "--data", directory, "--tenant", "acme", "--role", "metrics", "--expires", "90d"])
        #expect(created == 0, "\(note)")
        #expect(token.hasPrefix("keel_"))
        let id = try #require(note.split(separator: " ").first { $0.hasPrefix("tok_") }.map(String.init))
        let (_, listed, _) = try await CommandLineTests.keel(["token", "list", "--data", directory])
        #expect(listed.contains(id) && listed.contains("metrics") && listed.contains("expires") && listed.contains("never"), "\(listed)")
        let (revoked, _, _) = try await CommandLineTests.keel(["token", "revoke", "--data", directory, id])
        #expect(revoked == 0)
        let (_, after, _) = try await CommandLineTests.keel(["token", "list", "--data", directory])
        #expect(after.contains("revoked"), "\(after)")
        let (unknown, _, why) = try await CommandLineTests.keel(["token", "revoke", "--data", directory, "tok_nope"])
        #expect(unknown != 0)
        #expect(why.contains("no token has id"), "\(why)")
        let (badExpiry, _, _) = try await CommandLineTests.keel(
            ["token", "create", "--data", directory, "--tenant", "acme", "--role", "read", "--expires", "99999999999999d"])
        #expect(badExpiry != 0)
    }

    /// A crashed server releases its port at once, before Swift's backtracer finishes: a supervisor that restarts it
    /// straight away does not meet "address in use". (The backtrace is still printed on stderr, after the port is
    /// free; under load the backtracer takes a minute, so this test does not wait for it.)
    @Test func aCrashedServerReleasesItsPortAtOnce() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = Int.random(in: 20_000..<60_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CrashDurabilityTests.binary)
        process.arguments = ["serve", "--data", directory, "--listen", "127.0.0.1:\(port)"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=yes,interactive=no"]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let printed = Printed(output)
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var listening = false
        for _ in 0..<200 where !listening {
            try await Task.sleep(for: .milliseconds(50))
            listening = printed.text.contains("listening on")
        }
        try #require(listening, "the server did not start")
        kill(process.processIdentifier, SIGSEGV)
        // Within a second the port takes a new server, while the crashed one may still be writing its backtrace.
        try await Task.sleep(for: .seconds(1))
        let second = Process()
        second.executableURL = URL(fileURLWithPath: CrashDurabilityTests.binary)
        second.arguments = ["serve", "--data", directory + "-2", "--listen", "127.0.0.1:\(port)"]
        let secondOutput = Pipe()
        second.standardOutput = secondOutput
        second.standardError = secondOutput
        let secondPrinted = Printed(secondOutput)
        try second.run()
        defer {
            if second.isRunning { kill(second.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(atPath: directory + "-2")
        }
        var started = false
        for _ in 0..<200 where !started && second.isRunning {
            try await Task.sleep(for: .milliseconds(50))
            started = secondPrinted.text.contains("listening on")
        }
        #expect(started, "\(secondPrinted.text.suffix(500))")
    }
}
