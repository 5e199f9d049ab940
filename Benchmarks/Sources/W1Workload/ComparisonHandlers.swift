import Foundation
import Logging

/// A handler that does nothing: what swift-log's API itself costs (the metadata dictionary, the event, the call).
public struct NoOpLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public init() {}
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    public func log(event: LogEvent) {}
}

/// The JSON handler most Swift services start with: a `[String: Any]` per event, Foundation's
/// `JSONSerialization`, a shared `ISO8601DateFormatter`, and a `FileHandle.write` per line.
public struct FoundationJSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String
    let output: FileHandle
    nonisolated(unsafe) static let formatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()

    public init(label: String, output: FileHandle) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [
            "timestamp": Self.formatter.string(from: Date()), "level": event.level.rawValue,
            "message": event.message.description, "logger": label,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = Self.json(value)
        }
        guard var data = try? JSONSerialization.data(withJSONObject: object) else { return }
        data.append(0x0A)
        output.write(data)
    }

    static func json(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c):
            switch c {
            case let i as Int: return i
            case let d as Double: return d
            case let b as Bool: return b
            default: return c.description
            }
        case .dictionary(let d): return d.mapValues(json)
        case .array(let a): return a.map(json)
        }
    }
}

/// Iterates the call's metadata and does nothing else: the floor for any handler that reads `Logger.Metadata`.
public struct IterateOnlyLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    nonisolated(unsafe) public static var sink = 0
    public init() {}
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    public func log(event: LogEvent) {
        guard let metadata = event.metadata else { return }
        var n = 0
        for (key, value) in metadata {
            n &+= key.utf8.count
            if case .string(let s) = value { n &+= s.utf8.count }
        }
        Self.sink &+= n
    }
}
