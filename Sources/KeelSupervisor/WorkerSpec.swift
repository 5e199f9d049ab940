/// One worker process the supervisor keeps running.
public struct WorkerSpec: Sendable {
    /// Names the worker in every `worker.*` event (`worker_id`) and in the status snapshot.
    public var id: String
    /// The executable's absolute path.
    public var executable: String
    public var arguments: [String]
    /// Variables added to (or replacing) the supervisor's own environment.
    public var environment: [String: String]
    /// When the worker counts as ready.
    public var readiness: Readiness

    public enum Readiness: Sendable {
        /// As soon as the process has started.
        case onStart
        /// When the worker prints a JSON line whose `event` is `worker.ready`.
        case announced
    }

    public init(
        id: String, executable: String, arguments: [String] = [], environment: [String: String] = [:],
        readiness: Readiness = .onStart
    ) {
        self.id = id
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.readiness = readiness
    }
}
