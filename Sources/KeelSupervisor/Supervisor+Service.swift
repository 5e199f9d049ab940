public import ServiceLifecycle

/// The supervisor as a swift-service-lifecycle `Service`: in a `ServiceGroup` beside the HTTP server, it starts the
/// workers with the group and stops them (gracefully, within the policy's `stopGrace`) when the group shuts down.
///
/// ```swift
/// let group = ServiceGroup(services: [app, supervisor], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
extension Supervisor: Service {
    public func run() async throws {
        start()
        // Returns on graceful shutdown, throws on cancellation: the workers are stopped either way.
        try? await gracefulShutdown()
        await shutdown()
    }
}
