import Foundation
import Glibc
import Hummingbird
import HummingbirdTesting
import Keel
@testable import KeelShipping
import KeelTools
import Logging
@testable import KeelServer
import Testing

/// The shipping sink against a real `keel serve`: every line arrives; lines written while the server is down wait in
/// the spool and arrive when it is back, also across a restart of the logging process; a refusal (4xx) drops ops
/// lines, counted, and keeps audit lines aside.
@Suite(.serialized) struct ShippingTests {
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func write(_ sink: ShippingSink, _ ids: Range<Int>, storageClass: StorageClass = .ops) {
        for n in ids {
            let line = keelLine("ship-\(n)", message: "event \(n)", extra: #""storage_class":"\#(storageClass.name)""#)
            Array(line.utf8).withUnsafeBytes { sink.write($0, level: .info, storageClass: storageClass) }
        }
    }

    static func options(_ directory: String) -> ShippingOptions {
        var options = ShippingOptions(spoolDirectory: directory + "-spool")
        options.spoolsOperationalLines = true
        options.retryInitial = .milliseconds(50)
        options.retryMaximum = .milliseconds(300)
        options.timeout = .seconds(2)
        // The whole suite runs beside these tests on 2 cores: the server may take a while.
        options.flushTimeout = .seconds(30)
        return options
    }

    @Test func linesWrittenWhileTheServerIsDownArriveWhenItIsBackAcrossARestartOfTheSender() async throws {
        let server = try TestServer()
        defer {
            server.remove()
            try? FileManager.default.removeItem(atPath: server.directory + "-spool")
        }
        // Nothing listens on this port: the server is down, and every line waits in the spool.
        let down = ShippingDestination(url: "http://127.0.0.1:\(try Self.freePort())", token: server.ingestA)
        var whileDown = Self.options(server.directory)
        whileDown.flushTimeout = .milliseconds(200)  // closing while the server is down: nothing to wait for
        var sink: ShippingSink? = try ShippingSink(destination: down, options: whileDown)
        Self.write(sink!, 0..<1_500)
        for _ in 0..<100 where sink!.statistics.retried == 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(sink!.statistics.sent == 0 && sink!.pendingLines == 1_500 && sink!.statistics.retried > 0, "\(sink!.statistics)")
        // What a service's health page reads: Keel's diagnostics list the sink, its waiting lines and their age.
        let diagnostics = Diagnostics()
        var configuration = KeelConfiguration()
        configuration.console = nil
        configuration.extraSinks = [sink!]
        _ = try Keel.makePipeline(configuration, diagnostics: diagnostics)
        let status = try #require(diagnostics.deliveries.first)
        #expect(diagnostics.deliveries.count == 1 && status.sink == sink!.name && status.sent == 0 && status.waitingLines == 1_500)
        #expect(status.retried > 0 && status.bufferedBytes > 1_500 * 50 && (status.oldestWaitingMilliseconds ?? 0) > 0, "\(status)")
        // The logging process stops (its spool stays), and starts again once the server is up.
        sink!.close()
        sink = nil
        try await server.run { client async throws in
            let up = ShippingDestination(url: "http://127.0.0.1:\(client.port)", token: server.ingestA)
            let reopened = try ShippingSink(destination: up, options: Self.options(server.directory))
            Self.write(reopened, 1_500..<2_000)
            _ = await reopened.delivered(within: .seconds(30))
            #expect(reopened.pendingLines == 0 && reopened.statistics.sent == 2_000, "\(reopened.statistics)")
            let stored = Set(try await client.events(token: server.readA, query: "since=1h").compactMap { $0["event_id"]?.stringValue })
            let missing = Set((0..<2_000).map { "ship-\($0)" }).subtracting(stored)
            #expect(stored.count == 2_000 && missing.isEmpty, "\(missing.count) missing, e.g. \(missing.sorted().prefix(5))")
            reopened.close()
        }
    }

    /// 20,000 events with unique ids written at a steady pace while a proxy cycles through 503 storms with
    /// Retry-After, stalls past the client's timeout and lost acknowledgements: every event arrives, once, and
    /// whatever was sent twice was stored once (by `event_id`).
    @Test func nothingIsLostThroughStormsStallsAndLostAcknowledgements() async throws {
        let server = try TestServer()
        defer {
            server.remove()
            try? FileManager.default.removeItem(atPath: server.directory + "-spool")
        }
        try await server.run { client async throws in
            let proxy = FaultProxy(target: "http://127.0.0.1:\(client.port)")
            try await proxy.application().test(.live) { proxyClient in
                let destination = ShippingDestination(url: "http://127.0.0.1:\(proxyClient.port!)", token: server.ingestA)
                var options = Self.options(server.directory)
                options.batchMaxLines = 500
                options.timeout = .seconds(1)
                let sink = try ShippingSink(destination: destination, options: options)
                let modes: [FaultProxy.Mode] = [.pass, .unavailable, .acknowledgementLost, .stall(.seconds(2)), .pass, .acknowledgementLost, .unavailable, .pass]
                var slowest: Duration = .zero
                for (step, mode) in modes.enumerated() {
                    proxy.mode = mode
                    // 2,500 events a step, written over about half a second.
                    for chunk in 0..<10 {
                        let start = step * 2_500 + chunk * 250
                        let began = ContinuousClock.now
                        Self.write(sink, start..<(start + 250))
                        slowest = max(slowest, ContinuousClock.now - began)
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                proxy.mode = .pass
                _ = await sink.delivered(within: .seconds(30))
                for _ in 0..<200 where sink.pendingLines > 0 { try await Task.sleep(for: .milliseconds(50)) }
                #expect(sink.pendingLines == 0, "\(sink.statistics), proxy \(proxy.counts)")
                let stored = try await client.events(token: server.readA, query: "since=1h")
                let ids = stored.compactMap { $0["event_id"]?.stringValue }
                let missing = Set((0..<20_000).map { "ship-\($0)" }).subtracting(ids)
                #expect(missing.isEmpty, "\(missing.count) lost, e.g. \(missing.sorted().prefix(5))")
                #expect(ids.count == Set(ids).count && ids.count == 20_000, "each stored once: \(ids.count)")
                // The faults happened: refused, stalled and unacknowledged batches were sent again.
                let statistics = sink.statistics
                #expect(statistics.retried > 0 && statistics.sent >= 20_000 && statistics.dropped == 0, "\(statistics)")
                #expect((proxy.counts["acknowledgementLost"] ?? 0) > 0 && (proxy.counts["unavailable"] ?? 0) > 0, "\(proxy.counts)")
                // Batches whose acknowledgement was lost were sent again; the server said it had them.
                #expect(statistics.duplicates > 0 && statistics.sent == 20_000, "\(statistics)")
                print("shipping through faults: \(statistics), proxy \(proxy.counts), slowest 250 writes \(slowest)")
                sink.close()
            }
        }
    }

    /// A logging process (`keel ship`) killed with SIGKILL while the server is down: every line it had taken is in its
    /// spool, and arrives when it starts again with the server up; none twice.
    @Test func aLoggingProcessKilledMidOutageLosesNothing() async throws {
        let server = try TestServer()
        let work = server.directory + "-kill"
        defer {
            server.remove()
            try? FileManager.default.removeItem(atPath: work)
        }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let log = work + "/app.log"
        let lines = (0..<3_000).map { keelLine("kill-\($0)", message: "event \($0)") + "\n" }.joined()
        try lines.write(toFile: log, atomically: true, encoding: .utf8)
        let size = lines.utf8.count
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CrashDurabilityTests.binary)
        process.arguments = ["ship", log, "--to", "http://127.0.0.1:\(try Self.freePort())", "--token", server.ingestA,
                             "--spool", work + "/spool", "--positions", work + "/positions.json"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Every line read and in the spool (the positions are written after the spool is on disk), then SIGKILL.
        var read = 0
        for _ in 0..<200 where read < size {
            try await Task.sleep(for: .milliseconds(50))
            let data = FileManager.default.contents(atPath: work + "/positions.json") ?? Data()
            read = Int((try? JSONDecoder().decode([String: FileFollower.Position].self, from: data))?[log]?.offset ?? 0)
        }
        #expect(read == size, "keel ship read the whole file: \(read) of \(size)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        try await server.run { client async throws in
            let (status, _, err) = try await CommandLineTests.keel([
                "ship", log, "--to", "http://127.0.0.1:\(client.port)", "--token", server.ingestA, "--spool", work + "/spool",
                "--positions", work + "/positions.json", "--once",
            ])
            #expect(status == 0, "\(err)")
            let ids = try await client.events(token: server.readA, query: "since=1h").compactMap { $0["event_id"]?.stringValue }
            #expect(ids.count == 3_000 && Set(ids) == Set((0..<3_000).map { "kill-\($0)" }), "\(ids.count) stored")
        }
    }

    /// By default operational lines wait in memory and audit lines in the disk spool, each lane sent on its own: all
    /// arrive; a sink taking audit lines without a spool directory is refused, naming why.
    @Test func operationalLinesWaitInMemoryAndAuditLinesInTheSpool() async throws {
        let server = try TestServer()
        let directory = server.directory + "-spool"
        defer {
            server.remove()
            try? FileManager.default.removeItem(atPath: directory)
        }
        #expect {
            _ = try ShippingSink(destination: ShippingDestination(url: "http://127.0.0.1:9"), options: ShippingOptions(spoolDirectory: nil))
        } throws: { "\($0)".contains("audit and cost") && "\($0)".contains("spool directory") }
        // Operational lines only: no directory needed, nothing written to disk.
        let memoryOnly = try ShippingSink(
            destination: ShippingDestination(url: "http://127.0.0.1:9"), options: ShippingOptions(spoolDirectory: nil), classes: [.ops])
        Self.write(memoryOnly, 0..<10)
        #expect(memoryOnly.pendingLines == 10 && memoryOnly.spooledBytes > 0)
        memoryOnly.close()

        var defaults = Self.options(server.directory)
        defaults.spoolsOperationalLines = false
        let options = defaults
        // Down first: both lanes hold their lines, only the audit lines on disk.
        var quick = options
        quick.flushTimeout = .milliseconds(100)
        let down = try ShippingSink(destination: ShippingDestination(url: "http://127.0.0.1:\(try Self.freePort())", token: server.ingestA), options: quick)
        Self.write(down, 0..<300)
        Self.write(down, 300..<400, storageClass: .audit)
        #expect(down.pendingLines == 400)
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(onDisk.contains { $0.hasSuffix(".seg") } && !onDisk.contains("ops"), "\(onDisk)")
        down.close()  // the operational lines in memory are lost with it; the audit lines stay in the spool

        try await server.run { client async throws in
            let sink = try ShippingSink(destination: ShippingDestination(url: "http://127.0.0.1:\(client.port)", token: server.ingestA), options: options)
            Self.write(sink, 400..<700)
            Self.write(sink, 700..<750, storageClass: .audit)
            _ = await sink.delivered(within: .seconds(30))
            let stored = Set(try await client.events(token: server.readA, query: "since=1h").compactMap { $0["event_id"]?.stringValue })
            let expected = Set((300..<750).map { "ship-\($0)" })
            #expect(stored == expected, "\(expected.subtracting(stored).count) missing, \(stored.subtracting(expected).count) unexpected")
            #expect(sink.statistics.sent == 450 && sink.pendingLines == 0, "\(sink.statistics)")
            sink.close()
        }
    }

    @Test func lokiPushArrivesWithItsStreamLabelsAndEveryLineWhole() async throws {
        let server = try TestServer()
        defer {
            server.remove()
            try? FileManager.default.removeItem(atPath: server.directory + "-spool")
        }
        try await server.run { client async throws in
            // keel serve's Loki endpoint reads the real wire format: protobuf in snappy's block format.
            let destination = ShippingDestination(url: "http://127.0.0.1:\(client.port)", format: .loki, token: server.ingestA)
            let sink = try ShippingSink(destination: destination, options: Self.options(server.directory))
            for n in 0..<300 {
                let level = n % 10 == 0 ? "ERROR" : "INFO"
                let service = n % 2 == 0 ? "api" : "worker"
                let line = keelLine("loki-\(n)", message: "event \(n)", level: level, extra: #""service":"\#(service)","request_id":"req-\#(n)""#)
                Array(line.utf8).withUnsafeBytes { sink.write($0, level: .info, storageClass: .ops) }
            }
            _ = await sink.delivered(within: .seconds(30))
            #expect(sink.statistics.sent == 300 && sink.pendingLines == 0, "\(sink.statistics)")
            let stored = try await client.events(token: server.readA, query: "since=1h")
            #expect(Set(stored.compactMap { $0["event_id"]?.stringValue }) == Set((0..<300).map { "loki-\($0)" }))
            let one = stored.first { $0["event_id"]?.stringValue == "loki-10" }
            #expect(one?["level"]?.stringValue == "ERROR" && one?["service"]?.stringValue == "api" && one?["request_id"]?.stringValue == "req-10")
            // The labels group the lines into streams: api and worker INFO, api ERROR (every tenth line is an error, and
            // an even one).
            let streams = BatchEncoding.lokiStreams(stored.map { Array($0.jsonText.utf8) }, labels: destination.lokiLabels)
            #expect(streams.map(\.labels).sorted() == [#"{level="ERROR", service="api"}"#, #"{level="INFO", service="api"}"#, #"{level="INFO", service="worker"}"#])
            sink.close()
        }
    }

    @Test func otlpArrivesWithItsResourceSeverityIdsAndAttributes() async throws {
        let server = try TestServer()
        defer {
            server.remove()
            try? FileManager.default.removeItem(atPath: server.directory + "-spool")
        }
        try await server.run { client async throws in
            // keel serve's OTLP endpoint reads the real wire format: ExportLogsServiceRequest in protobuf, here gzip'd.
            let destination = ShippingDestination(url: "http://127.0.0.1:\(client.port)", format: .otlp, token: server.ingestA)
            let sink = try ShippingSink(destination: destination, options: Self.options(server.directory))
            let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
            for n in 0..<200 {
                let level = n % 4 == 0 ? "WARN" : "INFO"
                let extra = #""service":"billing","env":"staging","request_id":"req-\#(n)","trace_id":"\#(trace)","status":\#(200 + n % 3),"retryable":true"#
                let line = keelLine("otlp-\(n)", message: "charge \(n)", level: level, extra: extra)
                Array(line.utf8).withUnsafeBytes { sink.write($0, level: .info, storageClass: .ops) }
            }
            _ = await sink.delivered(within: .seconds(30))
            #expect(sink.statistics.sent == 200 && sink.pendingLines == 0, "\(sink.statistics)")
            let stored = try await client.events(token: server.readA, query: "since=1h")
            #expect(Set(stored.compactMap { $0["event_id"]?.stringValue }) == Set((0..<200).map { "otlp-\($0)" }))
            let one = stored.first { $0["event_id"]?.stringValue == "otlp-4" }
            #expect(one?["service"]?.stringValue == "billing" && one?["env"]?.stringValue == "staging", "\(String(describing: one))")
            #expect(one?["level"]?.stringValue == "WARN" && one?["message"]?.stringValue == "charge 4" && one?["trace_id"]?.stringValue == trace)
            #expect(one?["request_id"]?.stringValue == "req-4" && one?["status"] == .number("201"))
            sink.close()
        }
    }

    @Test func aRefusalDropsOpsLinesCountedAndKeepsAuditLinesAside() async throws {
        let server = try TestServer()
        defer {
            server.remove()
            try? FileManager.default.removeItem(atPath: server.directory + "-spool")
        }
        try await server.run { client async throws in
            // A read token cannot ingest: 403, which sending again cannot change.
            let destination = ShippingDestination(url: "http://127.0.0.1:\(client.port)", token: server.readA)
            let sink = try ShippingSink(destination: destination, options: Self.options(server.directory))
            Self.write(sink, 0..<10)
            Self.write(sink, 10..<13, storageClass: .audit)
            _ = await sink.delivered(within: .seconds(30))
            #expect(sink.statistics.dropped == 10 && sink.statistics.deadLettered == 3 && sink.pendingLines == 0, "\(sink.statistics)")
            let kept = try String(contentsOfFile: server.directory + "-spool/dead-letter.ndjson", encoding: .utf8)
            #expect(kept.split(separator: "\n").count == 3 && kept.contains("ship-12"))
            sink.close()
        }
    }
}
