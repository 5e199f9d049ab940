import Foundation
@testable import Keel
import KeelTesting
import Logging
import Synchronization
import Testing

/// The background pipeline: nothing lost or reordered per task, bounded under a slow sink, audit never dropped.
@Suite struct DeliveryTests {
    /// A sink that takes its time, to fill the queue.
    final class SlowSink: LogSink {
        let delay: Duration
        let received = Mutex<[String]>([])
        init(delay: Duration) { self.delay = delay }
        func accepts(_ storageClass: StorageClass) -> Bool { true }
        func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass) {
            let text = String(decoding: line, as: UTF8.self)
            received.withLock { $0.append(text) }
            Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18)
        }
        func flush() {}
        func close() {}
    }

    func pipeline(_ sinks: [any LogSink], queueBytes: Int = 4 << 20, file: String? = nil, rotation: FileRotation? = nil) throws -> Pipeline {
        var config = KeelConfiguration()
        config.console = nil
        config.file = file
        config.fileRotation = rotation
        config.extraSinks = sinks
        config.delivery = .background(queueBytes: queueBytes)
        return try Keel.makePipeline(config)
    }

    @Test func eightTasksThroughTheQueueToARotatingFileLoseNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-delivery-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        let pipeline = try self.pipeline([], queueBytes: 256 << 10, file: path, rotation: FileRotation(maxBytes: 2 << 20))
        let tasks = 8
        let perTask = 125_000  // 1,000,000 events in all, as issue 4 asks
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    let logger = Logger(label: "load") { KeelLogHandler(label: $0, pipeline: pipeline) }
                    // `cost` events are never dropped: a full queue makes the task wait instead.
                    for n in 0..<perTask {
                        logger.info("tick", metadata: ["task": .stringConvertible(t), "n": .stringConvertible(n), "storage_class": "cost"])
                    }
                }
            }
        }
        pipeline.close()
        #expect(pipeline.diagnostics.dropped == 0)
        #expect(FileRotation.rotatedFiles(of: path).count > 5)
        var next = [Int](repeating: 0, count: tasks)
        var total = 0
        for file in FileRotation.rotatedFiles(of: path) + [path] {
            for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
                let object = try parseWithFoundation(String(line))
                guard let context = object["context"] as? [String: Any], let t = context["task"] as? Int, let n = context["n"] as? Int
                else { continue }
                #expect(n == next[t], "task \(t): \(n) after \(next[t] - 1)")
                next[t] = n + 1
                total += 1
            }
        }
        #expect(total == tasks * perTask)
    }

    @Test func aSlowSinkDropsOpsCountsThemAndReportsOnce() throws {
        let sink = SlowSink(delay: .microseconds(200))
        let pipeline = try self.pipeline([sink], queueBytes: 64 << 10)
        let logger = Logger(label: "flood") { KeelLogHandler(label: $0, pipeline: pipeline) }
        for n in 0..<20_000 { logger.info("flood", metadata: ["n": .stringConvertible(n)]) }
        pipeline.close()
        let dropped = pipeline.diagnostics.dropped
        #expect(dropped > 0)
        let lines = sink.received.withLock { $0 }
        let summaries = try lines.filter { $0.contains("\"keel.dropped\"") }.map { try parseWithFoundation($0) }
        #expect(!summaries.isEmpty)
        let reported = summaries.compactMap { ($0["context"] as? [String: Any])?["dropped"] as? Int }.reduce(0, +)
        #expect(reported == dropped)
        #expect(lines.count - summaries.count + dropped == 20_000)
    }

    @Test func auditEventsAreNeverDroppedEvenWhenTheQueueIsFull() throws {
        let sink = SlowSink(delay: .microseconds(100))
        let pipeline = try self.pipeline([sink], queueBytes: 64 << 10)
        let logger = Logger(label: "audit") { KeelLogHandler(label: $0, pipeline: pipeline) }
        for n in 0..<3000 { logger.info("refund", metadata: ["n": .stringConvertible(n), "storage_class": "audit"]) }
        pipeline.close()
        #expect(pipeline.diagnostics.dropped == 0)
        #expect(sink.received.withLock { $0.count } == 3000)
    }

    /// Memory for queued lines stays within the bound when the sink cannot keep up: 100 MB of lines logged through a
    /// 1 MiB queue. (Measured on the queue's own buffers: the test process runs other suites at the same time, so
    /// its resident size says nothing about this one.)
    @Test func aSlowSinkDoesNotGrowMemoryBeyondTheQueueBound() throws {
        let sink = SlowSink(delay: .microseconds(50))
        let pipeline = try self.pipeline([sink], queueBytes: 1 << 20)
        let logger = Logger(label: "big") { KeelLogHandler(label: $0, pipeline: pipeline) }
        let payload = String(repeating: "x", count: 900)
        var peak = 0
        for n in 0..<100_000 {
            logger.info("big", metadata: ["payload": .string(payload), "n": .stringConvertible(n)])
            if n % 1000 == 0 { peak = max(peak, pipeline.queueAllocatedBytes) }
        }
        pipeline.close()
        #expect(pipeline.diagnostics.dropped > 0)
        #expect(peak > 0 && peak <= 2 * (1 << 20), "queue buffers reached \(peak) bytes")
    }

    @Test func flushWritesWhatWasQueuedAndLinesAfterCloseAreCounted() throws {
        let sink = InMemorySink()
        let pipeline = try self.pipeline([sink])
        let logger = Logger(label: "t") { KeelLogHandler(label: $0, pipeline: pipeline) }
        for n in 0..<1000 { logger.info("line", metadata: ["n": .stringConvertible(n)]) }
        #expect(pipeline.flush(deadline: .seconds(10)))
        #expect(sink.lines.count == 1000)
        pipeline.close()
        logger.info("late")
        #expect(pipeline.diagnostics.writesAfterClose == 1)
    }
}
