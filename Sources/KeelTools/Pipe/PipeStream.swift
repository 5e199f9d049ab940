public import Keel
public import Logging

/// Puts another program's output through Keel's pipeline, one line at a time: what `keel pipe` runs.
///
/// A line holding a JSON object is normalised into the canonical schema: its level (`level`, `severity`, `lvl`)
/// and message (`message`, `msg`) become the event's, and every other member is kept with its JSON type, as
/// metadata — schema fields land in their typed places and the rest under `context`; fields the pipeline owns
/// (`timestamp`, `service`, `event_id` …) cannot be overwritten and are kept under `context` instead. Any other line
/// becomes the `message` of an event at ``plainLevel``. Everything is redacted on the way, as for any event.
public final class PipeStream {
    private let logger: Logger
    /// The level of lines that are not JSON objects.
    public let plainLevel: Logger.Level
    public private(set) var lines = 0

    /// - Parameters:
    ///   - minimumLevel: lines below this level are dropped (default: keep everything).
    public init(pipeline: Pipeline, label: String = "pipe", plainLevel: Logger.Level = .info, minimumLevel: Logger.Level = .trace) {
        self.plainLevel = plainLevel
        self.logger = Logger(label: label) { label in KeelLogHandler(label: label, pipeline: pipeline, logLevel: minimumLevel) }
    }

    /// Handles one line (without its newline).
    public func handle(_ line: UnsafeRawBufferPointer) {
        lines += 1
        var line = line
        if line.last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        if let first = line.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), line[first] == UInt8(ascii: "{"),
            case .object(let members)? = try? JSONParser.parse(line, options: .init(maxDepth: 64, repairUTF8: true))
        {
            emit(members)
        } else {
            logger.log(level: plainLevel, "\(String(decoding: line, as: UTF8.self))")
        }
    }

    private static let levelKeys: Set<String> = ["level", "severity", "lvl", "log.level", "loglevel"]
    private static let messageKeys: Set<String> = ["message", "msg"]

    private func emit(_ members: [(key: String, value: JSONValue)]) {
        var level: Logger.Level?
        var message: String?
        var metadata: Logger.Metadata = [:]
        for (key, value) in members {
            if level == nil, Self.levelKeys.contains(key.lowercased()), let text = value.stringValue,
                let parsed = Logger.Level(canonicalName: text)
            {
                level = parsed
            } else if message == nil, Self.messageKeys.contains(key), let text = value.stringValue {
                message = text
            } else if let converted = value.metadataValue {
                metadata[key] = converted
            }
        }
        logger.log(level: level ?? plainLevel, "\(message ?? "")", metadata: metadata)
    }
}
