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

    func pipeline(_ sinks: [any LogSink], queueEvents: Int = 8192, file: String? = nil, rotation: FileRotation? = nil) throws -> Pipeline {
        var config = KeelConfiguration()
        config.console = nil
        config.file = file
        config.fileRotation = rotation
        config.extraSinks = sinks
        config.delivery = .background(queueEvents: queueEvents)
        return try Keel.makePipeline(config)
    }

    @Test func eightTasksThroughTheQueueToARotatingFileLoseNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-delivery-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        let pipeline = try self.pipeline([], queueEvents: 1024, file: path, rotation: FileRotation(maxBytes: 2 << 20))
        let tasks = 8
        let perTask = 125_000  // 1,000,000 events in all, as issue 4 asks
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    let logger = Logger(label: "load") { KeelLogHandler(label: $0, pipeline: pipeline) }
                    // `cost` events are never dropped: a full queue makes the task wait instead.
                    for n in 0..<perTask {
                        logger.info("tick", metadata: ["task": .stringConvertible(t), "n": .stringConvertible(n), "storage_class": "cost"])
                        // Logging never suspends; without a yield now and then these tasks would hold every thread of
                        // the cooperative pool (two on a 2-core machine) for the whole run, starving the other tests.
                        if n % 1_000 == 999 { await Task.yield() }
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
        let pipeline = try self.pipeline([sink], queueEvents: 256)
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
        let pipeline = try self.pipeline([sink], queueEvents: 256)
        let logger = Logger(label: "audit") { KeelLogHandler(label: $0, pipeline: pipeline) }
        for n in 0..<3000 { logger.info("refund", metadata: ["n": .stringConvertible(n), "storage_class": "audit"]) }
        pipeline.close()
        #expect(pipeline.diagnostics.dropped == 0)
        #expect(sink.received.withLock { $0.count } == 3000)
    }

    /// The queue holds at most its capacity when the sink cannot keep up: 100,000 events of 900-byte values
    /// logged through a 1,024-event queue (each queued event keeps only its own metadata alive). Measured on the
    /// queue itself: the test process runs other suites at the same time, so its resident size says nothing here.
    @Test func aSlowSinkDoesNotGrowTheQueueBeyondItsBound() throws {
        let sink = SlowSink(delay: .microseconds(50))
        let pipeline = try self.pipeline([sink], queueEvents: 1024)
        let logger = Logger(label: "big") { KeelLogHandler(label: $0, pipeline: pipeline) }
        let allocated = pipeline.queueAllocatedBytes
        var peakBytes = 0
        for n in 0..<100_000 {
            let payload = String(repeating: "x", count: 900) + String(n)
            logger.info("big", metadata: ["note": .string(payload), "n": .stringConvertible(n)])
            if n % 1000 == 0 { peakBytes = max(peakBytes, pipeline.queueAllocatedBytes) }
        }
        pipeline.close()
        #expect(pipeline.diagnostics.dropped > 0)
        let peak = pipeline.queuePeakEvents
        #expect(peak > 0 && peak <= 1024, "the queue held \(peak) events")
        // Its own storage never grew: the bound holds in bytes too.
        #expect(allocated > 0 && peakBytes == allocated, "queue storage went from \(allocated) to \(peakBytes) bytes")
    }

    /// The calling task's context, provider metadata and time are read when the call is made, not when the writer
    /// thread gets to the event.
    @Test func theCallersContextAndProviderAreCapturedAtTheCall() async throws {
        let sink = InMemorySink()
        let pipeline = try self.pipeline([sink])
        let provider = Logger.MetadataProvider { ["tenant_id": .string(LogContext.current.requestID ?? "none")] }
        let logger = Logger(label: "t") { KeelLogHandler(label: $0, pipeline: pipeline, metadataProvider: provider) }
        for n in 0..<50 {
            withLogContext(LogContext(requestID: "req-\(n)")) {
                logger.info("handled", metadata: ["n": .stringConvertible(n)])
            }
        }
        #expect(pipeline.flush())
        let objects = try sink.lines.map { try parseWithFoundation($0) }
        #expect(objects.count == 50)
        for (n, object) in objects.enumerated() {
            #expect(object["request_id"] as? String == "req-\(n)")
            #expect(object["tenant_id"] as? String == "req-\(n)")
        }
        pipeline.close()
    }

    /// A value whose `description` logs is read on the writer thread; its own event is written there, straight
    /// away, instead of waiting for room in a queue only that thread empties.
    @Test func aDescriptionThatLogsOnTheWriterThreadDoesNotDeadlock() throws {
        struct Chatty: CustomStringConvertible, Sendable {
            let logger: Logger
            var description: String {
                logger.info("described", metadata: ["storage_class": "audit"])
                return "chatty"
            }
        }
        let sink = InMemorySink()
        let pipeline = try self.pipeline([sink], queueEvents: 16)
        let logger = Logger(label: "t") { KeelLogHandler(label: $0, pipeline: pipeline) }
        for _ in 0..<200 {
            logger.info("outer", metadata: ["value": .stringConvertible(Chatty(logger: logger)), "storage_class": "audit"])
        }
        #expect(pipeline.flush(deadline: .seconds(20)))
        pipeline.close()
        let lines = sink.lines
        #expect(lines.filter { $0.contains("\"outer\"") }.count == 200)
        #expect(lines.filter { $0.contains("\"described\"") }.count == 200)
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
        // What `Keel.bootstrap`'s exit handler does after `Keel.shutdown()`: there is no writer left to wait for.
        let start = ContinuousClock.now
        #expect(pipeline.flush(deadline: .seconds(10)))
        #expect(ContinuousClock.now - start < .seconds(1), "a flush after close returns at once")
    }
}
