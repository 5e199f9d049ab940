import Foundation
import Keel
import KeelSupervisor
import KeelTesting
import Logging
import ServiceLifecycle
import Testing

/// Real child processes (`/bin/sh` scripts) under a real supervisor; every wait is bounded.
@Suite struct SupervisorTests {
    let logging = TestLogging()

    func events(_ name: String) throws -> [JSONValue] {
        try logging.sink.events().filter { $0["event"]?.stringValue == name }
    }

    /// Waits (at most 60 s: the whole suite runs in parallel on two cores) until `condition` holds.
    func waitUntil(_ what: String, _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func shell(_ id: String, _ script: String) -> WorkerSpec {
        WorkerSpec(id: id, executable: "/bin/sh", arguments: ["-c", script])
    }

    @Test func aCrashingWorkerIsRestartedWithGrowingBackoffUntilItCrashLoops() async throws {
        let policy = RestartPolicy(
            initialBackoff: .milliseconds(40), maximumBackoff: .seconds(5), multiplier: 2, jitter: 0.1,
            crashLoopLimit: 4, crashLoopWindow: .seconds(60), stopGrace: .seconds(2))
        let supervisor = Supervisor(workers: [shell("crasher", "exit 3")], policy: policy, logger: logging.logger())
        supervisor.start()
        try await waitUntil("the crash loop") { try !events("worker.crash_loop").isEmpty }
        await supervisor.shutdown()

        let backoffs = try events("worker.restarting").compactMap { $0["backoff_ms"]?.doubleValue }
        #expect(backoffs.count == 3, "restarts after the 1st, 2nd and 3rd crash; the 4th is the crash loop")
        #expect(zip(backoffs, backoffs.dropFirst()).allSatisfy { $0 < $1 }, "\(backoffs)")
        #expect((36...44).contains(backoffs.first ?? 0))
        let exits = try events("worker.exited")
        #expect(exits.count == 4)
        #expect(exits.allSatisfy { $0["exit_code"] == .number("3") })
        #expect(exits.map { $0["restart_count"] } == [.number("0"), .number("1"), .number("2"), .number("3")])
        #expect(try events("worker.spawned").count == 4)
        let loop = try #require(try events("worker.crash_loop").first)
        #expect(loop["level"]?.stringValue == "ERROR")
        #expect(loop["worker_state"]?.stringValue == "crash_loop")
        let status = supervisor.status().workers[0]
        #expect(status.state == .crashLoop)
        #expect(status.lastExitCode == 3)
        #expect(status.recentCrashes == 4)
    }

    @Test func backoffGrowsIsCappedAndJittered() {
        let policy = RestartPolicy(initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1), multiplier: 2, jitter: 0.2)
        #expect(policy.backoff(attempt: 0, random: 0.5) == .milliseconds(100))
        #expect(policy.backoff(attempt: 3, random: 0.5) == .milliseconds(800))
        #expect(policy.backoff(attempt: 10, random: 0.5) == .seconds(1))
        #expect(policy.backoff(attempt: 0, random: 0) == .milliseconds(80))
        #expect(policy.backoff(attempt: 0, random: 1) == .milliseconds(120))
    }

    @Test func maintenanceStopsWorkersAndRestartsNothingUntilItEnds() async throws {
        let policy = RestartPolicy(initialBackoff: .milliseconds(20), stopGrace: .seconds(5))
        let supervisor = Supervisor(workers: [shell("sleeper", "exec sleep 30")], policy: policy, logger: logging.logger())
        supervisor.start()
        try await waitUntil("the worker to run") { supervisor.status().workers[0].pid != nil }
        #expect(supervisor.status().workers[0].state == .ready)

        await supervisor.setMaintenance(true)
        let stopped = try #require(try events("worker.exited").first)
        #expect(stopped["context"]?["signal"] == .number("\(SIGTERM)"))
        #expect(stopped["worker_state"]?.stringValue == "maintenance")
        #expect(stopped["level"]?.stringValue == "INFO", "a requested stop is no crash")
        #expect(supervisor.status().maintenance)
        #expect(supervisor.status().workers[0].state == .maintenance)
        #expect(supervisor.status().workers[0].pid == nil)
        try await Task.sleep(for: .milliseconds(200))
        #expect(try events("worker.spawned").count == 1, "no restart during maintenance")
        #expect(try events("worker.restarting").isEmpty)
        #expect(try events("worker.maintenance").first?["maintenance_mode"] == .bool(true))

        await supervisor.setMaintenance(false)
        try await waitUntil("the worker to run again") { supervisor.status().workers[0].pid != nil }
        #expect(try events("worker.spawned").count == 2)
        await supervisor.shutdown()
        #expect(supervisor.status().workers[0].state == .stopped)
    }

    @Test func aWorkerCannotOverrideLockedFields() async throws {
        let line = #"{"event":"evil.event","request_id":"r-evil","level":"critical","storage_class":"audit","service":"fake","message":"hello from the worker","tenant_id":"t_1","duration_ms":12.5}"#
        let supervisor = Supervisor(
            workers: [shell("json", "echo '\(line)'; exec sleep 30")], logger: logging.logger())
        withLogContext(LogContext(requestID: "r-supervisor")) { supervisor.start() }
        try await waitUntil("the worker's line") { try !events("worker.output").isEmpty }
        await supervisor.shutdown()

        let output = try #require(try events("worker.output").first)
        #expect(output["message"]?.stringValue == "hello from the worker")
        #expect(output["request_id"]?.stringValue == "r-supervisor")
        #expect(output["level"]?.stringValue == "INFO")
        #expect(output["storage_class"]?.stringValue == "ops")
        #expect(output["service"]?.stringValue == "test-service")
        #expect(output["worker_id"]?.stringValue == "json")
        #expect(output["tenant_id"]?.stringValue == "t_1", "fields the worker may set are merged")
        #expect(output["duration_ms"]?.doubleValue == 12.5)
        let tried = output["context"]?["worker_fields"]
        #expect(tried?["event"]?.stringValue == "evil.event", "kept aside, not in its canonical place")
        #expect(tried?["request_id"]?.stringValue == "r-evil")
        #expect(try logging.sink.events().allSatisfy { $0["event"]?.stringValue != "evil.event" })
    }

    @Test func rawTextAndSecretsAWorkerPrintsNeverReachTheLog() async throws {
        let script = """
            echo 'password=hunter2 RAW-TEXT-MARKER'
            echo 'AKIAIOSFODNN7EXAMPLE stack trace line' >&2
            printf '%s' '{"message":"calling api","api_key":"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}'
            echo
            head -c 100000 /dev/zero | tr '\\0' 'x'
            echo
            exec sleep 30
            """
        let supervisor = Supervisor(workers: [shell("chatty", script)], logger: logging.logger())
        supervisor.start()
        try await waitUntil("four lines") { try events("worker.output").count >= 4 }
        let snapshot = String(decoding: try JSONEncoder().encode(supervisor.status()), as: UTF8.self)
        await supervisor.shutdown()

        for line in logging.sink.lines + [snapshot] {
            #expect(!line.contains("hunter2"))
            #expect(!line.contains("RAW-TEXT-MARKER"))
            #expect(!line.contains("AKIAIOSFODNN7EXAMPLE"))
            #expect(!line.contains("sk_live_4eC39HqLyjWDarjtT1zdp7dc"))
            #expect(!line.contains("xxxxxxxx"))
        }
        let outputs = try events("worker.output")
        let plain = outputs.filter { $0["context"]?["bytes"] != nil }
        #expect(plain.count == 3)
        #expect(plain.contains { $0["context"]?["stream"]?.stringValue == "stderr" && $0["level"]?.stringValue == "WARN" })
        #expect(plain.contains { $0["context"]?["bytes"] == .number("100000") })
        let json = try #require(outputs.first { $0["message"]?.stringValue == "calling api" })
        #expect(json["redacted"] != nil)
        let status = supervisor.status().workers[0]
        #expect(status.jsonLines == 1 && status.otherLines == 3)
    }

    @Test func aWorkerThatCannotStartIsReportedAndRetried() async throws {
        let policy = RestartPolicy(initialBackoff: .milliseconds(10), crashLoopLimit: 2)
        let supervisor = Supervisor(
            workers: [WorkerSpec(id: "missing", executable: "/nonexistent/worker")], policy: policy, logger: logging.logger())
        supervisor.start()
        try await waitUntil("the crash loop") { try !events("worker.crash_loop").isEmpty }
        await supervisor.shutdown()
        let failures = try events("worker.exited")
        #expect(failures.count == 2)
        #expect(failures.allSatisfy { $0["level"]?.stringValue == "ERROR" && $0["error"] != nil })
    }
}

@Suite struct SupervisorServiceTests {
    @Test func asAServiceItStartsWorkersAndStopsThemWithTheGroup() async throws {
        let logging = TestLogging()
        let supervisor = Supervisor(
            workers: [WorkerSpec(id: "svc", executable: "/bin/sh", arguments: ["-c", "exec sleep 30"])],
            policy: RestartPolicy(stopGrace: .seconds(5)), logger: logging.logger())
        let group = ServiceGroup(services: [supervisor], logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(60)
            while supervisor.status().workers[0].pid == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(supervisor.status().workers[0].pid != nil)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(supervisor.status().workers[0].state == .stopped)
        #expect(supervisor.status().workers[0].pid == nil)
        let exited = try logging.sink.events().filter { $0["event"]?.stringValue == "worker.exited" }
        #expect(exited.count == 1)
        #expect(exited.first?["message"]?.stringValue == "worker svc stopped")
    }
}
