#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging
import Synchronization

/// In production, `audit` or `cost` events would reach only the console or memory: start-up refuses.
public struct ProductionCheckError: Error, CustomStringConvertible, Sendable {
    public let storageClass: StorageClass
    public var description: String {
        "production (KEEL_ENV=production): \(storageClass) events would reach only the console or memory, where they "
            + "can be lost; set LOG_FILE, or add a durable sink (an AuditSink, a FileSink) that accepts \(storageClass) events"
    }
}

/// Installs Keel as the process's swift-log backend and shuts it down.
///
/// ```swift
/// try Keel.bootstrap(.fromEnvironment())
/// let logger = Logger(label: "api")
/// logger.info("request handled", metadata: ["status": "200", "route": "/v1/users/{id}"])
/// Keel.shutdown()
/// ```
public enum Keel {
    private static let installed = Mutex<Pipeline?>(nil)

    /// Builds the pipeline a configuration describes, without installing it (tests, tools, several pipelines).
    /// - Throws: ``SinkError`` when a file cannot be opened; ``ProductionCheckError`` when, in production, `audit` or
    ///   `cost` events would reach only the console or memory.
    public static func makePipeline(_ configuration: KeelConfiguration, diagnostics: Diagnostics = Diagnostics()) throws
        -> Pipeline
    {
        var sinks: [any LogSink] = []
        if let streams = configuration.console {
            sinks.append(ConsoleSink(format: configuration.format, streams: streams, diagnostics: diagnostics))
        }
        if let file = configuration.file {
            sinks.append(try FileSink(path: file, rotation: configuration.fileRotation, diagnostics: diagnostics))
        }
        sinks += configuration.extraSinks
        if configuration.isProduction {
            for storageClass in [StorageClass.audit, .cost] where !sinks.contains(where: { $0.accepts(storageClass) && $0.isDurable }) {
                throw ProductionCheckError(storageClass: storageClass)
            }
        }
        let encoder = EventEncoder(
            service: configuration.service, environment: configuration.environment, version: configuration.version,
            host: configuration.host, pid: Int(getpid()), maxLineBytes: configuration.maxLineBytes,
            sourceLocations: configuration.sourceLocations, redaction: configuration.redaction)
        return Pipeline(
            encoder: encoder, sinks: sinks, sampler: Sampler(
                rate: configuration.sampleRate, levelRates: configuration.levelSampleRates,
                eventRates: configuration.eventSampleRates), diagnostics: diagnostics,
            delivery: configuration.delivery,
            floodLimiter: configuration.floodLimit.map { FloodLimiter(limit: $0.limit, interval: $0.interval) })
    }

    /// The metadata provider Keel installs: the task's ``LogContext``, then the configuration's provider.
    public static func metadataProvider(for configuration: KeelConfiguration) -> Logger.MetadataProvider {
        if let extra = configuration.metadataProvider { return .multiplex([.keel, extra]) ?? .keel }
        return .keel
    }

    /// Installs Keel as the swift-log backend for the whole process. Call once, at start-up.
    ///
    /// - Throws: ``SinkError`` when a file cannot be opened. (``ConfigurationError``s are thrown earlier, by
    ///   ``KeelConfiguration/fromEnvironment(_:base:)``.)
    public static func bootstrap(_ configuration: KeelConfiguration) throws {
        let pipeline = try makePipeline(configuration)
        installed.withLock { $0 = pipeline }
        let level = configuration.level
        LoggingSystem.bootstrap(
            { label, provider in KeelLogHandler(label: label, pipeline: pipeline, logLevel: level, metadataProvider: provider) },
            metadataProvider: metadataProvider(for: configuration))
        atexit { Keel.flush() }
    }

    /// The installed pipeline's counters, if Keel is bootstrapped.
    public static var diagnostics: Diagnostics? { installed.withLock { $0?.diagnostics } }

    /// Writes out everything buffered. Called at exit automatically.
    public static func flush() {
        installed.withLock { $0 }?.flush()
    }

    /// Writes out what is queued (within `deadline`), then flushes and closes every sink. Events logged
    /// afterwards are dropped and counted.
    public static func shutdown(deadline: Duration = .seconds(10)) {
        installed.withLock { $0 }?.close(deadline: deadline)
    }
}
