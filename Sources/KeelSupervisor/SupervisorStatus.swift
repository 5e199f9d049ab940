/// A worker's state, as `worker_state` and the status snapshot name it.
public enum WorkerState: String, Sendable, Codable {
    case starting, ready, exited, restarting
    case crashLoop = "crash_loop"
    case maintenance
    case stopped
}

/// What a health endpoint may show about the supervisor: states and counts, never anything a worker printed.
public struct SupervisorStatus: Sendable, Codable, Equatable {
    public var maintenance: Bool
    public var workers: [WorkerStatus]
}

public struct WorkerStatus: Sendable, Codable, Equatable {
    public var id: String
    public var state: WorkerState
    public var restartCount: Int
    public var pid: Int32?
    public var lastExitCode: Int32?
    public var lastSignal: Int32?
    /// Crashes within the restart policy's crash-loop window.
    public var recentCrashes: Int
    /// Lines the worker printed, by kind: JSON lines merged into the log, and other lines recorded by size only.
    public var jsonLines: Int
    public var otherLines: Int
}
