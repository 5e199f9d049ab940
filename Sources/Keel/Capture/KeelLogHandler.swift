public import Logging

/// Keel's swift-log backend: every event becomes one schema v1 JSON line.
///
/// Installed for the whole process by `Keel.bootstrap(_:)`; made directly with ``init(label:pipeline:metadataProvider:)``
/// in tests and tools. A value type, as swift-log requires: changing the level or metadata of one `Logger` never
/// affects another.
///
/// The level check happens in `Logger` before this handler is called, and before any message or metadata closure
/// is evaluated, so a disabled level costs nothing here.
public struct KeelLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata
    public var metadataProvider: Logger.MetadataProvider?
    let pipeline: Pipeline

    public init(
        label: String, pipeline: Pipeline, logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.pipeline = pipeline
        self.logLevel = logLevel
        self.metadata = [:]
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        pipeline.emit(event, label: label, handlerMetadata: metadata, provider: metadataProvider)
    }
}
