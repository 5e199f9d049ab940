public import Keel
public import Logging
import Synchronization

/// A sink that keeps every line in memory, for tests: read them back as text or parsed events.
public final class InMemorySink: LogSink {
    private let stored = Mutex<[String]>([])
    private let closedWrites = Mutex<(closed: Bool, count: Int)>((false, 0))
    private let classes: Set<StorageClass>?

    /// - Parameter storageClasses: the classes to accept; all when `nil`.
    public init(storageClasses: Set<StorageClass>? = nil) { self.classes = storageClasses }

    public func accepts(_ storageClass: StorageClass) -> Bool { classes?.contains(storageClass) ?? true }

    public func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
        let closed = closedWrites.withLock { state in
            if state.closed { state.count += 1 }
            return state.closed
        }
        guard !closed else { return }
        let text = String(decoding: line, as: UTF8.self)
        stored.withLock { $0.append(text) }
    }

    public func flush() {}
    /// Later writes are counted (``writesAfterClose``) and dropped.
    public func close() { closedWrites.withLock { $0.closed = true } }

    /// Writes that arrived after ``close()``.
    public var writesAfterClose: Int { closedWrites.withLock { $0.count } }

    /// Every line written, each with its trailing newline.
    public var lines: [String] { stored.withLock { $0 } }

    /// Every line parsed; a line that does not parse fails the test through the thrown error.
    public func events() throws -> [JSONValue] { try lines.map { try JSONParser.parse($0) } }

    public func removeAll() { stored.withLock { $0.removeAll() } }
}

/// Builds a logger wired to an in-memory sink, for tests.
public struct TestLogging: Sendable {
    public let sink: InMemorySink
    public let pipeline: Pipeline
    public let diagnostics: Diagnostics

    public init(configure: (inout KeelConfiguration) -> Void = { _ in }) {
        var configuration = KeelConfiguration()
        configuration.console = nil
        configuration.service = "test-service"
        configuration.host = "test-host"
        // Lines are in the sink when the log call returns: what a test reads right after logging.
        configuration.delivery = .synchronous
        configure(&configuration)
        let sink = InMemorySink()
        configuration.extraSinks.append(sink)
        let diagnostics = Diagnostics()
        self.sink = sink
        self.diagnostics = diagnostics
        // No file and no console: cannot fail.
        self.pipeline = try! Keel.makePipeline(configuration, diagnostics: diagnostics)
        self.level = configuration.level
        self.provider = Keel.metadataProvider(for: configuration)
    }

    private let level: Logger.Level
    private let provider: Logger.MetadataProvider

    /// A logger that writes through this pipeline, with the provider `Keel.bootstrap` would install.
    public func logger(label: String = "test") -> Logger {
        Logger(label: label) { label in
            KeelLogHandler(label: label, pipeline: pipeline, logLevel: level, metadataProvider: provider)
        }
    }
}
