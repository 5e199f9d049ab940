#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Keel
public import Logging
import Subprocess
import Synchronization
import SystemPackage

/// Keeps worker processes running: starts them, restarts them after they exit with exponential backoff and
/// jitter, stops restarting a worker that crash-loops, and can be put in maintenance (workers are stopped
/// gracefully and not restarted until maintenance ends). Every step is a `worker.*` event with `worker_id`,
/// `worker_state`, `restart_count` and, as they apply, `backoff_ms`, `exit_code` or the signal; what the
/// workers print is turned into events by ``WorkerOutput``.
///
/// ```swift
/// let supervisor = Supervisor(workers: [WorkerSpec(id: "indexer", executable: "/usr/local/bin/indexer")],
///                             logger: Logger(label: "supervisor"))
/// supervisor.start()
/// …
/// await supervisor.shutdown()
/// ```
public final class Supervisor: Sendable {
    public let policy: RestartPolicy
    private let logger: Logger
    private let workers: [WorkerSpec]
    private let state: Mutex<State>

    private struct State {
        var maintenance = false
        var stopping = false
        var statuses: [String: WorkerStatus] = [:]
        var crashTimes: [String: [ContinuousClock.Instant]] = [:]
        var loops: [String: Task<Void, Never>] = [:]
    }

    public init(workers: [WorkerSpec], policy: RestartPolicy = RestartPolicy(), logger: Logger) {
        precondition(Set(workers.map(\.id)).count == workers.count, "worker ids must be unique")
        self.workers = workers
        self.policy = policy
        self.logger = logger
        var initial = State()
        for worker in workers {
            initial.statuses[worker.id] = WorkerStatus(
                id: worker.id, state: .stopped, restartCount: 0, pid: nil, lastExitCode: nil, lastSignal: nil,
                recentCrashes: 0, jsonLines: 0, otherLines: 0)
        }
        self.state = Mutex(initial)
    }

    /// Starts every worker that is not running.
    public func start() {
        for worker in workers { startLoop(worker) }
    }

    /// The current states and counts, for a health endpoint.
    public func status() -> SupervisorStatus {
        state.withLock { state in
            SupervisorStatus(maintenance: state.maintenance, workers: workers.compactMap { state.statuses[$0.id] })
        }
    }

    /// Maintenance on: running workers get SIGTERM (SIGKILL after the policy's `stopGrace`) and are not restarted.
    /// Off: every worker starts again, crash-looped ones included, with fresh crash counts.
    public func setMaintenance(_ on: Bool) async {
        let changed = state.withLock { state in
            defer { state.maintenance = on }
            return state.maintenance != on
        }
        guard changed else { return }
        for worker in workers {
            logger.log(
                EventCatalogue.workerMaintenance, on ? "maintenance on" : "maintenance off",
                metadata: [
                    "worker_id": .string(worker.id), "worker_state": .string(on ? "maintenance" : "starting"),
                    "maintenance_mode": .stringConvertible(on),
                ])
        }
        if on {
            await stopAll()
        } else {
            state.withLock { state in
                for worker in workers { state.crashTimes[worker.id] = [] }
            }
            start()
        }
    }

    /// Stops every worker (SIGTERM, then SIGKILL after `stopGrace`) and waits until they have exited.
    public func shutdown() async {
        state.withLock { $0.stopping = true }
        await stopAll()
    }

    private func stopAll() async {
        let loops = state.withLock { state in
            for (_, status) in state.statuses { if let pid = status.pid { kill(pid, SIGTERM) } }
            return Array(state.loops.values)
        }
        let deadline = ContinuousClock.now + policy.stopGrace
        // Wait for the loops, sending SIGKILL to whatever still runs at the deadline.
        let killer = Task {
            try? await Task.sleep(until: deadline)
            guard !Task.isCancelled else { return }
            state.withLock { state in
                for (_, status) in state.statuses { if let pid = status.pid { kill(pid, SIGKILL) } }
            }
        }
        for loop in loops { loop.cancel() }
        for loop in loops { await loop.value }
        killer.cancel()
    }

    private func startLoop(_ worker: WorkerSpec) {
        state.withLock { state in
            guard !state.stopping, !state.maintenance, state.loops[worker.id] == nil else { return }
            state.loops[worker.id] = Task { await self.supervise(worker) }
        }
    }

    /// One worker's life: run, and after each exit decide whether and when to run it again.
    private func supervise(_ worker: WorkerSpec) async {
        var attempt = 0
        defer { state.withLock { _ = $0.loops.removeValue(forKey: worker.id) } }
        while true {
            let started = ContinuousClock.now
            let termination = await runOnce(worker)
            let uptime = ContinuousClock.now - started
            let (stop, workerState, restartCount) = state.withLock { state -> (Bool, WorkerState, Int) in
                let stop = state.stopping || state.maintenance || Task.isCancelled
                let workerState: WorkerState = stop ? (state.maintenance ? .maintenance : .stopped) : .exited
                state.statuses[worker.id]?.state = workerState
                return (stop, workerState, state.statuses[worker.id]?.restartCount ?? 0)
            }
            logExit(worker, termination, uptime: uptime, state: workerState, requested: stop, restartCount: restartCount)
            if stop { return }
            if uptime >= policy.stableAfter { attempt = 0 }
            if termination.isCrash, recordCrash(worker) { return }
            let delay = policy.backoff(attempt: attempt)
            attempt += 1
            update(worker) { $0.state = .restarting }
            logger.log(
                EventCatalogue.workerRestarting, "restarting worker \(worker.id)",
                metadata: fields(worker, .restarting, restartCount, ["backoff_ms": .stringConvertible(msValue(delay))]))
            do { try await Task.sleep(for: delay) } catch {}
            let proceed = state.withLock { state -> Bool in
                guard !state.stopping, !state.maintenance, !Task.isCancelled else {
                    // Stopped while waiting to restart: the status says so, not `restarting`.
                    state.statuses[worker.id]?.state = state.maintenance ? .maintenance : .stopped
                    return false
                }
                state.statuses[worker.id]?.restartCount += 1
                return true
            }
            if !proceed { return }
        }
    }

    /// Counts a crash; when the crash loop limit is reached, says so and returns `true` (stop restarting).
    private func recordCrash(_ worker: WorkerSpec) -> Bool {
        let now = ContinuousClock.now
        let (crashes, restartCount) = state.withLock { state -> (Int, Int) in
            var times = state.crashTimes[worker.id, default: []].filter { now - $0 < policy.crashLoopWindow }
            times.append(now)
            state.crashTimes[worker.id] = times
            state.statuses[worker.id]?.recentCrashes = times.count
            if times.count >= policy.crashLoopLimit { state.statuses[worker.id]?.state = .crashLoop }
            return (times.count, state.statuses[worker.id]?.restartCount ?? 0)
        }
        guard crashes >= policy.crashLoopLimit else { return false }
        logger.log(
            EventCatalogue.workerCrashLoop, "worker \(worker.id) is crash-looping; not restarting it",
            metadata: fields(
                worker, .crashLoop, restartCount,
                ["crashes": .stringConvertible(crashes), "window_ms": .stringConvertible(msValue(policy.crashLoopWindow))]))
        return true
    }

    /// Runs the worker once, turning its output into events, until it exits.
    private func runOnce(_ worker: WorkerSpec) async -> Termination {
        var environment: [Environment.Key: String] = [:]
        for (key, value) in worker.environment { environment[Environment.Key(stringLiteral: key)] = value }
        var options = PlatformOptions()
        // Its own process group: a Ctrl-C or a signal sent to the supervisor's group does not reach the workers,
        // which the supervisor stops itself (SIGTERM, then SIGKILL after `stopGrace`) — so a stop is never taken
        // for a crash and restarted.
        options.processGroupID = 0
        let configuration = Configuration(
            executable: .path(FilePath(worker.executable)), arguments: Arguments(worker.arguments),
            environment: .inherit.updating(environment), platformOptions: options)
        update(worker) { $0.state = .starting }
        let output = WorkerOutput(workerID: worker.id, logger: logger)
        do {
            let result = try await Subprocess.run(configuration, input: .none, output: .sequence, error: .sequence) {
                execution in
                let pid = Int32(execution.processIdentifier.value)
                let restartCount = update(worker) {
                    $0.pid = pid
                    if worker.readiness == .onStart { $0.state = .ready }
                }
                logger.log(
                    EventCatalogue.workerSpawned, "worker \(worker.id) started",
                    metadata: fields(worker, .starting, restartCount, ["worker_pid": .stringConvertible(pid)]))
                if worker.readiness == .onStart { announceReady(worker, restartCount) }
                async let standardError: Void = pump(execution.standardError, .stderr, worker, output)
                await pump(execution.standardOutput, .stdout, worker, output)
                await standardError
            }
            update(worker) { $0.pid = nil }
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signaled(signal)
            }
        } catch {
            update(worker) { $0.pid = nil }
            logger.log(
                EventCatalogue.workerExited, "worker \(worker.id) could not be started", level: .error, error: error,
                metadata: fields(worker, .exited, status(of: worker).restartCount, [:]))
            return .failedToStart
        }
    }

    private func pump(
        _ sequence: SubprocessOutputSequence, _ stream: WorkerOutput.Stream, _ worker: WorkerSpec, _ output: WorkerOutput
    ) async {
        var splitter = LineSplitter(maximumLineBytes: WorkerOutput.maximumLineBytes)
        func handle(_ line: ArraySlice<UInt8>, _ length: Int) {
            switch output.handle(line, length: length, stream: stream) {
            case .json: update(worker) { $0.jsonLines += 1 }
            case .other: update(worker) { $0.otherLines += 1 }
            case .ready:
                let restartCount = update(worker) { $0.state = .ready }
                announceReady(worker, restartCount)
            }
        }
        do {
            for try await buffer in sequence {
                buffer.withUnsafeBytes { splitter.feed($0, handle) }
            }
        } catch {
            // The pipe failed (the worker is going away); what was read is handled below.
        }
        splitter.finish(handle)
    }

    private func announceReady(_ worker: WorkerSpec, _ restartCount: Int) {
        logger.log(
            EventCatalogue.workerReady, "worker \(worker.id) is ready", metadata: fields(worker, .ready, restartCount, [:]))
    }

    /// `requested`: the supervisor stopped it (shutdown, maintenance), so a signal is no crash.
    private func logExit(
        _ worker: WorkerSpec, _ termination: Termination, uptime: Duration, state workerState: WorkerState,
        requested: Bool, restartCount: Int
    ) {
        var extra: Logger.Metadata = ["uptime_ms": .stringConvertible(msValue(uptime))]
        switch termination {
        case .exited(let code):
            extra["exit_code"] = .stringConvertible(code)
            update(worker) { $0.lastExitCode = code; $0.lastSignal = nil }
        case .signaled(let signal):
            extra["signal"] = .stringConvertible(signal)
            update(worker) { $0.lastSignal = signal; $0.lastExitCode = nil }
        case .failedToStart:
            return
        }
        let level: Logger.Level = termination.isCrash && !requested ? .warning : .info
        logger.log(
            EventCatalogue.workerExited, requested ? "worker \(worker.id) stopped" : "worker \(worker.id) exited",
            level: level, metadata: fields(worker, workerState, restartCount, extra))
    }

    private func fields(
        _ worker: WorkerSpec, _ workerState: WorkerState, _ restartCount: Int, _ extra: Logger.Metadata
    ) -> Logger.Metadata {
        var metadata = extra
        metadata["worker_id"] = .string(worker.id)
        metadata["worker_state"] = .string(workerState.rawValue)
        metadata["restart_count"] = .stringConvertible(restartCount)
        return metadata
    }

    /// Changes a worker's status under the lock; returns its restart count.
    @discardableResult
    private func update(_ worker: WorkerSpec, _ change: (inout WorkerStatus) -> Void) -> Int {
        state.withLock { state in
            if var status = state.statuses[worker.id] {
                change(&status)
                state.statuses[worker.id] = status
                return status.restartCount
            }
            return 0
        }
    }

    private func status(of worker: WorkerSpec) -> WorkerStatus {
        state.withLock { $0.statuses[worker.id]! }
    }
}

/// A duration as `backoff_ms` and the other `*_ms` fields write it: milliseconds, to the microsecond.
private func msValue(_ duration: Duration) -> Double {
    (duration.inMilliseconds * 1e3).rounded() / 1e3
}

/// How a worker process ended.
enum Termination {
    case exited(Int32)
    case signaled(Int32)
    case failedToStart

    /// A non-zero exit, a signal, or a start that failed.
    var isCrash: Bool {
        if case .exited(0) = self { return false }
        return true
    }
}
