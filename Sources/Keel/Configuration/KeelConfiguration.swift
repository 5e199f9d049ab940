#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging

/// Everything `Keel.bootstrap` needs, set in code or read from the environment with ``fromEnvironment(_:)``.
public struct KeelConfiguration: Sendable {
    /// The lowest level written (`LOG_LEVEL`).
    public var level: Logger.Level = .info
    /// Console output format (`LOG_FORMAT`): JSON lines, or text for people.
    public var format: ConsoleSink.Format = .json
    /// Where console lines go (`KEEL_CONSOLE`): split by level (default), all to stdout or stderr, or off.
    public var console: ConsoleSink.Streams? = .split
    /// A file to append JSON lines to, in addition to the console (`LOG_FILE`).
    public var file: String?
    /// Rotation, compression and retention of ``file``; `nil` for one growing file (external rotation, SIGHUP).
    public var fileRotation: FileRotation?
    /// The fraction of `ops` events kept (`LOG_SAMPLE_RATE`), decided per request.
    public var sampleRate: Double = 1
    /// Sample rates by level or by `event` name (`LOG_SAMPLE_RATES`), over ``sampleRate``.
    public var levelSampleRates: [Logger.Level: Double] = [:]
    public var eventSampleRates: [String: Double] = [:]
    /// The service's name (`KEEL_SERVICE`); defaults to the executable's name.
    public var service: String = KeelConfiguration.executableName()
    /// The deployment environment (`KEEL_ENV`).
    public var environment: String?
    /// The service's version (`KEEL_VERSION`).
    public var version: String?
    /// The host name written in `host`.
    public var host: String? = KeelConfiguration.hostName()
    /// The longest line written, in bytes; longer events have their strings cut and are marked `truncated`.
    public var maxLineBytes: Int = 16 * 1024
    /// Which events carry their source location.
    public var sourceLocations: SourceLocationPolicy = .atOrAbove(.warning)
    /// A provider whose metadata is added to every event, after the task's ``LogContext`` (so it wins over it);
    /// e.g. swift-otel's `OTel.makeLoggingMetadataProvider()` for the active span's ids.
    public var metadataProvider: Logger.MetadataProvider?
    /// What redaction removes (`KEEL_REDACTION_POLICY` names a policy file). On by default; `nil` switches it off,
    /// except that `audit` events always lose the values of secret keys.
    public var redaction: RedactionPolicy? = .default
    /// More sinks, in addition to the console and file.
    /// At most so many events with the same name per interval (`LOG_FLOOD_LIMIT=100/1s`); `nil`: no limit.
    public var floodLimit: (limit: Int, interval: Duration)?
    /// How lines reach the sinks: through a bounded queue and a writer thread (the default), or on the calling
    /// thread (tests, short-lived tools).
    public var delivery: Pipeline.Delivery = .background
    /// Production checks at start-up (``ProductionCheckError``); on when ``environment`` is `production`.
    public var productionChecks: Bool?
    /// Whether the production checks apply.
    public var isProduction: Bool { productionChecks ?? (environment?.lowercased() == "production") }
    public var extraSinks: [any LogSink] = []

    public init() {}

    /// The name of the running executable, or `swift-service` when it cannot be found.
    public static func executableName() -> String {
        guard let path = CommandLine.arguments.first, let name = path.split(separator: "/").last, !name.isEmpty else {
            return "swift-service"
        }
        return String(name)
    }

    /// The host name, or `nil` when it cannot be read.
    public static func hostName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
