import Foundation
import Keel
import KeelLifecycle
import Logging
import ServiceLifecycle
import Testing

/// A service that logs until the group shuts down, and logs once more while it stops.
private struct Chatty: Service {
    let logger: Logger
    func run() async throws {
        var n = 0
        while !Task.isShuttingDownGracefully, n < 100_000 {
            logger.info("working", metadata: ["n": .stringConvertible(n)])
            n += 1
            await Task.yield()
        }
        logger.info("stopping")
    }
}

@Suite struct KeelServiceTests {
    @Test func aGracefulShutdownWritesEverythingLoggedBeforeAndDuringIt() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-lifecycle-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var config = KeelConfiguration()
        config.console = nil
        config.file = path
        config.delivery = .background
        let pipeline = try Keel.makePipeline(config)
        let logger = Logger(label: "app") { KeelLogHandler(label: $0, pipeline: pipeline) }
        let group = ServiceGroup(
            services: [KeelService(pipeline: pipeline), Chatty(logger: logger)], gracefulShutdownSignals: [],
            logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(300))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count > 1)
        // The last line is the one logged while stopping: nothing logged during shutdown was lost.
        #expect(lines.last?.contains("\"message\":\"stopping\"") == true)
        #expect(pipeline.diagnostics.writesAfterClose == 0)
    }
}
