#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import Keel
import KeelBlockStore
import KeelShipping
import KeelTools
import Logging
import Synchronization

struct ShipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ship",
        abstract: "Follow log files and ship their lines to keel serve, Loki or an OpenTelemetry collector.",
        discussion: """
            Follows each file as tail -F does (rotation by rename or copytruncate), puts each line through Keel (a JSON
            line made canonical, any other the message of an event; everything redacted, as keel pipe does), and ships
            it through a disk spool that survives restarts and outages (docs/shipping.md). The read positions are kept
            in --positions once the lines are in the spool on disk, so a restart goes on where it stopped, also in a
            file renamed by a rotation meanwhile:
              keel ship /var/log/app/*.log --to http://logs:8080 --token $INGEST_TOKEN
              keel ship app.log --to https://logs-prod.grafana.net --format loki --user 123456 --token $GRAFANA_TOKEN
            A file ending in .gz (a rotated, compressed log) is read once, to its end, and not again.
            """)

    @Argument(help: "The files to follow.") var files: [String]
    @Option(help: "The server: keel serve's, Loki's or a collector's base URL.") var to: String
    @Option(help: "keel (keel serve's /v1/events), loki (/loki/api/v1/push) or otlp (/v1/logs).") var format = "keel"
    @Option(help: "A bearer token, or the password with --user.") var token: String?
    @Option(help: "Basic authentication's user name (Grafana Cloud: the instance id).") var user: String?
    @Option(help: "Sent as X-Scope-OrgID.") var tenant: String?
    @Option(help: "For Loki: the fields whose values are the stream labels, comma-separated.") var lokiLabels = "service,env,level"
    @Option(help: "For Loki 3: fields also sent as structured metadata, comma-separated (trace_id,request_id).") var lokiMetadata: String?
    @Option(help: "The disk spool's directory.") var spool = "keel-ship-spool"
    @Option(help: "Where the read positions are kept.") var positions = "keel-ship-positions.json"
    @Option(help: "The `service` of lines that do not name one.") var service = "keel-ship"
    @Flag(help: "Ship what the files hold now, wait until the server has it, and exit.") var once = false
    @Option(help: "How long stopping (and --once) waits for the server to have every line, in seconds; what it has not got stays in the spool.")
    var wait = 30

    func run() throws {
        guard let parsedFormat = ShippingDestination.Format(rawValue: format) else {
            throw ValidationError("--format takes \(ShippingDestination.Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let url = URLComponents(string: to), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
            throw ValidationError("--to takes an http(s) URL")
        }
        var destination = ShippingDestination(url: to, format: parsedFormat, token: token, tenant: tenant)
        guard let labels = KeelConfiguration.fieldNames(lokiLabels) else { throw ValidationError("--loki-labels takes field names, comma-separated") }
        destination.lokiLabels = labels
        if let lokiMetadata {
            guard let fields = KeelConfiguration.fieldNames(lokiMetadata) else {
                throw ValidationError("--loki-metadata takes field names, comma-separated")
            }
            destination.lokiStructuredMetadata = fields
        }
        if let user {
            guard let token else { throw ValidationError("--user needs --token (the password)") }
            destination.basicAuth = (user, token)
            destination.token = nil
        }
        guard wait >= 0, wait <= 86_400 else { throw ValidationError("--wait takes 0 to 86400 seconds") }
        let sink: ShippingSink
        do {
            var options = ShippingOptions(spoolDirectory: spool)
            options.flushTimeout = .seconds(wait)
            // Every line on disk: the read positions are committed once the lines are in the spool.
            options.spoolsOperationalLines = true
            // Lines are read again from the files after a crash (positions follow the spool's sync): gather writes.
            options.spoolWriteBuffer = 256 << 10
            sink = try ShippingSink(destination: destination, options: options)
        } catch {
            throw ValidationError("the spool \(spool) cannot be opened: \(error)")
        }
        var base = KeelConfiguration()
        base.console = nil
        base.service = service
        base.sourceLocations = .never
        base.delivery = .synchronous
        var config = try KeelConfiguration.fromEnvironment(base: base)
        config.delivery = .synchronous
        config.file = nil
        config.console = nil
        config.extraSinks = [sink]
        let pipeline = try Keel.makePipeline(config, diagnostics: Diagnostics())
        let stream = PipeStream(pipeline: pipeline, configuration: config)
        ShipSignals.install()

        var saved = ShipPositions.read(positions)
        var read = 0
        var failed = false
        // Compressed files (rotated ones) first, once each, from where an earlier run stopped.
        for path in files where CompressedFileReader.handles(path) && !ShipSignals.stop.load(ordering: .relaxed) {
            let commit = { (position: FileFollower.Position) in
                sink.sync()
                saved[path] = position
                ShipPositions.write(saved, to: positions)
            }
            do {
                let reached = try CompressedFileReader.read(
                    path, after: saved[path], while: { !ShipSignals.stop.load(ordering: .relaxed) },
                    onLine: { line in
                        read += 1
                        stream.handle(line)
                    }, progress: commit)
                commit(reached)
            } catch {
                FileDescriptorIO.reportToStderr("ship: \(error)")
                failed = true
            }
        }
        var followers: [(path: String, follower: FileFollower)] = []
        for path in files where !CompressedFileReader.handles(path) {
            // A file renamed by a rotation while keel ship was stopped: the rest of it first.
            if let position = saved[path] { ShipPositions.shipRemainder(of: position, besides: path, into: stream.handle) }
            followers.append((path, FileFollower(path: path, resumingAt: saved[path])))
        }
        var lastReport = ContinuousClock.now
        while !ShipSignals.stop.load(ordering: .relaxed) {
            var delivered = 0
            for (_, follower) in followers { delivered += follower.poll(onLine: stream.handle) }
            read += delivered
            // The lines are in the spool on disk before their positions are written down.
            sink.sync()
            for (path, follower) in followers { if let position = follower.position { saved[path] = position } }
            ShipPositions.write(saved, to: positions)
            if ContinuousClock.now - lastReport >= .seconds(1) || (once && delivered == 0) {
                let statistics = sink.statistics
                FileDescriptorIO.reportToStderr(
                    "ship: \(read) lines read, \(statistics.sent) sent, \(sink.pendingLines) waiting, \(statistics.retried) retried, \(statistics.dropped) dropped")
                lastReport = .now
            }
            if once, delivered == 0 { break }
            if delivered == 0 { usleep(250_000) }
        }
        pipeline.close()  // flushes the sink: waits a while for the server to have everything, then stops
        if once, sink.pendingLines > 0 {
            FileDescriptorIO.reportToStderr("ship: \(sink.pendingLines) lines still waiting in \(spool); they are sent at the next start")
            throw ExitCode(1)
        }
        if failed { throw ExitCode(1) }
    }
}

/// SIGINT and SIGTERM end the loop; the handler only sets a flag.
enum ShipSignals {
    static let stop = Atomic<Bool>(false)

    static func install() {
        signal(SIGINT) { _ in ShipSignals.stop.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in ShipSignals.stop.store(true, ordering: .relaxed) }
    }
}

/// `keel ship`'s read positions: a JSON file of each path's file identity and offset, written durably (a new file,
/// fsync'd, renamed over the old).
enum ShipPositions {
    static func read(_ path: String) -> [String: FileFollower.Position] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return (try? JSONDecoder().decode([String: FileFollower.Position].self, from: data)) ?? [:]
    }

    static func write(_ positions: [String: FileFollower.Position], to path: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(positions) else { return }
        try? DurableFiles.write(Array(data), to: path)
    }

    /// When `path` now names another file than `position`'s, and a file of the same directory is `position`'s (the
    /// old one, renamed by a rotation), its lines after the offset.
    static func shipRemainder(of position: FileFollower.Position, besides path: String, into handle: (UnsafeRawBufferPointer) -> Void) {
        var current = stat()
        if stat(path, &current) == 0, UInt64(current.st_dev) == position.device, UInt64(current.st_ino) == position.inode { return }
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let candidate = directory + "/" + name
            var info = stat()
            guard stat(candidate, &info) == 0, UInt64(info.st_dev) == position.device, UInt64(info.st_ino) == position.inode,
                Int64(info.st_size) >= position.offset
            else { continue }
            let fd = open(candidate, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            defer { close(fd) }
            lseek(fd, off_t(position.offset), SEEK_SET)
            var reader = LineReader()
            _ = reader.readAll(from: fd, onLine: handle)
            return
        }
    }
}
