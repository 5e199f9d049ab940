#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Keel
import KeelTools
import Logging
import Synchronization

/// Signals seen by `keel pipe`, set from the signal handler (atomics are safe there) and read by the read loop.
private let terminationRequested = Atomic<Bool>(false)
private let reopenRequested = Atomic<Bool>(false)

struct PipeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipe",
        abstract: "Put another program's output through Keel: canonical JSON lines, redacted, to rotating files.",
        discussion: """
            Reads lines from stdin. A JSON object is normalised into the canonical schema (its level and message \
            become the event's, other members keep their JSON types); any other line becomes the event's message. \
            Every event is redacted and written to the file sink (or stdout when no file is given).

              my-app 2>&1 | keel pipe --file /var/log/app/app.log --rotate-size 50MB --keep 10 --gzip

            Settings also come from the environment (LOG_FILE, LOG_ROTATE_SIZE, LOG_ROTATE_DAILY, LOG_KEEP_FILES, \
            LOG_KEEP_DAYS, LOG_GZIP, KEEL_SERVICE, KEEL_REDACTION_POLICY …); flags win. Everything is flushed on end \
            of input and on SIGTERM or SIGINT; SIGHUP reopens the file (for logrotate). Exits 1 when a sink failed.

            --rotate-size and --rotate-daily also rotate the --audit log (each file ends sealed and the chain goes \
            on in the next; check them all with keel verify LOG.2* LOG). --keep, --keep-days and --gzip apply to \
            --file only: Keel never compresses or deletes audit files.
            """
    )

    @Option(help: "Append to this file (rotated as the options below say).")
    var file: String?

    @Option(name: .customLong("rotate-size"), help: "Start a new file before this size: 1048576, 5MB, 1GiB …")
    var rotateSize: String?

    @Flag(name: .customLong("rotate-daily"), help: "Start a new file each UTC day.")
    var rotateDaily = false

    @Option(help: "Keep this many rotated files.")
    var keep: Int?

    @Option(name: .customLong("keep-days"), help: "Delete rotated files older than this many days.")
    var keepDays: Int?

    @Flag(help: "gzip rotated files.")
    var gzip = false

    @Flag(help: "Also write the lines to stdout.")
    var stdout = false

    @Option(help: "The `service` field (default: KEEL_SERVICE, else keel-pipe).")
    var service: String?

    @Option(name: .customLong("plain-level"), help: "The level of lines that are not JSON objects.")
    var plainLevel: String = "info"

    @Option(help: "A redaction policy file (the format of KEEL_REDACTION_POLICY, docs/redaction.md).")
    var policy: String?

    @Option(help: "Also record every line in this hash-chained audit log (check it with keel verify).")
    var audit: String?

    @Option(name: .customLong("key-file"), help: "The file holding the audit checkpoint HMAC key (with --audit; as keel verify --key-file).")
    var keyFile: String?

    @Option(help: "Also append the audit log's checkpoints to this file (- for stdout); check with keel verify --checkpoints.")
    var checkpoints: String?

    // The spellings of the previous release, kept for one more.
    @Option(name: .customLong("audit-key-file"), help: .hidden) var auditKeyFileAlias: String?
    @Option(name: .customLong("audit-checkpoints"), help: .hidden) var auditCheckpointsAlias: String?

    var auditKeyFile: String? { keyFile ?? auditKeyFileAlias }
    var auditCheckpoints: String? { checkpoints ?? auditCheckpointsAlias }

    func validate() throws {
        if let rotateSize, ByteSize.parse(rotateSize) == nil {
            throw ValidationError("--rotate-size \(rotateSize): expected a size such as 1048576, 50MB or 1GiB")
        }
        if let keep, keep <= 0 { throw ValidationError("--keep must be a positive number") }
        if let keepDays, keepDays <= 0 { throw ValidationError("--keep-days must be a positive number") }
        if (audit == nil) != (auditKeyFile == nil) { throw ValidationError("--audit and --key-file go together") }
        if Logger.Level(canonicalName: plainLevel) == nil {
            throw ValidationError("--plain-level \(plainLevel): expected trace, debug, info, notice, warn, error or critical")
        }
    }

    func run() throws {
        var base = KeelConfiguration()
        base.console = nil
        base.service = "keel-pipe"
        // The pipe's own call sites say nothing about the program whose lines these are.
        base.sourceLocations = .never
        // Lines are written as they are read: a slow sink slows the reading down (and the writing program with it)
        // instead of making a queue drop lines. A pipe must not lose any.
        base.delivery = .synchronous
        var config = try KeelConfiguration.fromEnvironment(base: base)
        // Whatever LOG_QUEUE_EVENTS says: a queue would drop lines under pressure, and a pipe must not.
        config.delivery = .synchronous
        if let file { config.file = file }
        if let service { config.service = service }
        if let policy { config.redaction = try PolicyFile.load(policy) }
        if rotateSize != nil || rotateDaily || keep != nil || keepDays != nil || gzip {
            var rotation = config.fileRotation ?? FileRotation()
            if let rotateSize { rotation.maxBytes = ByteSize.parse(rotateSize) }
            if rotateDaily { rotation.daily = true }
            if let keep { rotation.keepFiles = keep }
            if let keepDays { rotation.keepDays = keepDays }
            if gzip { rotation.compress = true }
            config.fileRotation = rotation
        }
        let diagnostics = Diagnostics()
        // The audit log rotates with the same size and day settings, and keeps every file whole.
        let auditRotation = config.fileRotation.flatMap { rotation in
            rotation.maxBytes != nil || rotation.daily ? FileRotation(maxBytes: rotation.maxBytes, daily: rotation.daily) : nil
        }
        if let audit, let auditKeyFile {
            let key: [UInt8]
            do {
                key = try AuditKey.read(auditKeyFile)
            } catch {
                throw ValidationError("--key-file \(auditKeyFile): \(error)")
            }
            do {
                config.extraSinks.append(
                    try AuditSink(
                        path: audit, key: key, service: config.service, checkpointCopy: auditCheckpoints,
                        rotation: auditRotation, classes: Set(StorageClass.all), diagnostics: diagnostics))
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if stdout || (config.file == nil && audit == nil) { config.console = .stdoutOnly }

        let pipeline: Pipeline
        do {
            pipeline = try Keel.makePipeline(config, diagnostics: diagnostics)
        } catch {
            throw ValidationError("\(error)")
        }
        let files = pipeline.sinks.compactMap { $0 as? FileSink }
        Self.installSignalHandlers()
        let stream = PipeStream(
            pipeline: pipeline, configuration: config, plainLevel: Logger.Level(canonicalName: plainLevel) ?? .info)
        var reader = LineReader()
        reading: while !terminationRequested.load(ordering: .relaxed) {
            if reopenRequested.exchange(false, ordering: .relaxed) { files.forEach { $0.reopen() } }
            // A signal may land on any thread, so a blocked read is not reliably interrupted: wait for input at
            // most a quarter of a second at a time and look at the flags in between.
            var ready = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 250) > 0 else { continue }
            switch reader.read(from: 0, onLine: stream.handle) {
            case .read: continue
            case .endOfInput:
                reader.finish(onLine: stream.handle)
                break reading
            case .failed(let code):
                FileDescriptorIO.reportToStderr("pipe: cannot read stdin: \(FileDescriptorIO.describe(code))")
                break reading
            }
        }
        pipeline.close()
        if diagnostics.sinkFailures > 0 {
            FileDescriptorIO.reportToStderr("pipe: \(diagnostics.sinkFailures) writes failed")
            throw ExitCode(1)
        }
    }

    /// SIGTERM and SIGINT end the read loop; SIGHUP asks for the files to be reopened. The handlers only set flags.
    private static func installSignalHandlers() {
        signal(SIGPIPE, SIG_IGN)
        func install(_ signalNumber: Int32, _ handler: @convention(c) (Int32) -> Void) {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signalNumber, &action, nil)
        }
        install(SIGTERM) { _ in terminationRequested.store(true, ordering: .relaxed) }
        install(SIGINT) { _ in terminationRequested.store(true, ordering: .relaxed) }
        install(SIGHUP) { _ in reopenRequested.store(true, ordering: .relaxed) }
    }
}
