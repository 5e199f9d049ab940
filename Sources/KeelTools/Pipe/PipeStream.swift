package import Keel
package import Logging

/// Puts another program's output through Keel, one line at a time: what `keel pipe` runs.
///
/// A line holding a JSON object is made canonical by ``ForeignRecordNormalizer``, the rule `keel serve` applies to
/// what it receives, so a line piped here and the same line sent to `POST /v1/events` become the same event: its
/// own time, level, message, ids and `error` are kept (pino, bunyan, zap, slog, structlog, python-json-logger and
/// OpenTelemetry names included), schema fields land in their typed places and the rest under `context`, a missing
/// `event_id` is derived from the line, and everything is redacted. The configuration's `service`, `env`,
/// `version` and `host` fill in what the line does not say. Any other line — not JSON, not an object, or a record
/// `keel serve` would refuse (a `timestamp` that is not a time, nesting too deep) — becomes the `message` of an
/// event at ``plainLevel`` built by the library as a log call's, so nothing a program wrote is lost.
///
/// Lines are written in the order read when the pipeline delivers synchronously (`keel pipe`'s does: a pipe must not
/// drop lines under pressure, so it has no queue).
package final class PipeStream {
    private let pipeline: Pipeline
    private let logger: Logger
    private let normalizer: ForeignRecordNormalizer
    private let minimumLevel: Logger.Level
    private var work = ForeignRecordNormalizer.Workspace()
    /// The level of lines that are not JSON objects, and of objects that name no level.
    package let plainLevel: Logger.Level
    package private(set) var lines = 0

    /// - Parameters:
    ///   - configuration: the redaction policy, the longest line, and the `service`, `env`, `version` and `host`
    ///     given to lines that do not name their own.
    ///   - minimumLevel: lines below this level are dropped (default: keep everything).
    package convenience init(
        pipeline: Pipeline, configuration: KeelConfiguration, label: String = "pipe", plainLevel: Logger.Level = .info,
        minimumLevel: Logger.Level = .trace
    ) {
        var defaults: [FieldID: String] = [.service: configuration.service]
        defaults[.env] = configuration.environment
        defaults[.version] = configuration.version
        defaults[.host] = configuration.host
        self.init(
            pipeline: pipeline, redaction: configuration.redaction, maxLineBytes: configuration.maxLineBytes, defaults: defaults,
            label: label, plainLevel: plainLevel, minimumLevel: minimumLevel)
    }

    /// - Parameters:
    ///   - redaction: the policy JSON lines are redacted with (`nil`: the default one; `keel serve` always redacts too).
    ///   - defaults: values for fields a line does not set.
    package init(
        pipeline: Pipeline, redaction: RedactionPolicy?, maxLineBytes: Int, defaults: [FieldID: String], label: String = "pipe",
        plainLevel: Logger.Level = .info, minimumLevel: Logger.Level = .trace
    ) {
        assert(pipeline.delivery == .synchronous, "keel pipe writes on the reading thread, in order")
        self.pipeline = pipeline
        self.plainLevel = plainLevel
        self.minimumLevel = minimumLevel
        self.logger = Logger(label: label) { label in KeelLogHandler(label: label, pipeline: pipeline, logLevel: minimumLevel) }
        normalizer = ForeignRecordNormalizer(
            redactor: Redactor(policy: redaction ?? .default),
            rules: .init(maxDepth: 32, maxLineBytes: max(maxLineBytes, 1024), defaultLevel: plainLevel, defaults: defaults))
    }

    /// Handles one line (without its newline).
    package func handle(_ line: UnsafeRawBufferPointer) {
        lines += 1
        var line = line.bindMemory(to: UInt8.self)
        if line.last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        if let first = line.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), line[first] == UInt8(ascii: "{"),
            emit(line, identity: line)
        {
            return
        }
        // Any other line is the message of an event the library builds (and redacts) as it does a log call's.
        logger.log(level: plainLevel, "\(String(decoding: line, as: UTF8.self))")
    }

    /// Writes the canonical event of a JSON object; `false` when it is not one `keel serve` would take.
    private func emit(_ object: UnsafeBufferPointer<UInt8>, identity: UnsafeBufferPointer<UInt8>) -> Bool {
        let normalized: ForeignRecordNormalizer.Normalized
        do throws(ForeignRecordNormalizer.Refusal) {
            normalized = try normalizer.normalize(
                object, identity: identity, tenant: nil, now: Timestamp.now().microsecondsSinceEpoch, work: &work)
        } catch {
            return false
        }
        guard normalized.level >= minimumLevel else { return true }
        work.line.append(UInt8(ascii: "\n"))
        work.line.withUnsafeBytes { pipeline.deliver(canonical: $0, level: normalized.level, storageClass: normalized.storageClass) }
        return true
    }
}
