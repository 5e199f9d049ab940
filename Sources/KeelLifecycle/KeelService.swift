public import Keel
public import ServiceLifecycle

/// Flushes and closes Keel when a swift-service-lifecycle `ServiceGroup` shuts down gracefully (SIGTERM, say).
///
/// A service group stops its services in the reverse of their order, so put this one first: it is then stopped
/// last, after every service that logs while it stops.
///
/// ```swift
/// let group = ServiceGroup(
///     services: [KeelService(), httpServer, worker], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public struct KeelService: Service {
    /// The pipeline to close; `nil` for the one `Keel.bootstrap` installed.
    public let pipeline: Pipeline?
    /// How long queued events may take to be written out.
    public let deadline: Duration

    public init(pipeline: Pipeline? = nil, deadline: Duration = .seconds(10)) {
        self.pipeline = pipeline
        self.deadline = deadline
    }

    public func run() async throws {
        // Waits until the group shuts down gracefully (or this task is cancelled), then closes.
        try? await gracefulShutdown()
        if let pipeline {
            pipeline.close(deadline: deadline)
        } else {
            Keel.shutdown(deadline: deadline)
        }
    }
}
