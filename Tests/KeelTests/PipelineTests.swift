import Foundation
@testable import Keel
import KeelTesting
import Logging
import Testing

struct PipelineTests {
    @Test func aDisabledLevelEvaluatesNothing() {
        let logging = TestLogging { $0.level = .warning }
        let logger = logging.logger()
        var evaluated = false
        func expensive() -> Logger.Metadata {
            evaluated = true
            return [:]
        }
        logger.debug("\(expensiveMessage { evaluated = true })", metadata: expensive())
        #expect(!evaluated)
        #expect(logging.sink.lines.isEmpty)
        logger.warning("shown")
        #expect(logging.sink.lines.count == 1)
    }

    @Test func samplingKeepsOrDropsWholeRequestsAndNeverWarningsAuditOrCost() throws {
        let logging = TestLogging { $0.sampleRate = 0.5 }
        let logger = logging.logger()
        for r in 0..<400 {
            withLogContext(LogContext(requestID: "req-\(r)")) {
                for _ in 0..<3 { logger.info("ops") }
                logger.warning("warn")
                logger.info("audit", metadata: ["storage_class": "audit"])
                logger.info("cost", metadata: ["storage_class": "cost"])
            }
        }
        let events = try logging.sink.lines.map(parseWithFoundation)
        var opsPerRequest: [String: Int] = [:]
        for event in events where event["message"] as? String == "ops" {
            opsPerRequest[event["request_id"] as! String, default: 0] += 1
        }
        #expect(opsPerRequest.values.allSatisfy { $0 == 3 }, "a kept request keeps every line")
        #expect((150...250).contains(opsPerRequest.count), "about half the requests kept: \(opsPerRequest.count)")
        #expect(events.filter { $0["message"] as? String == "warn" }.count == 400)
        #expect(events.filter { $0["storage_class"] as? String == "audit" }.count == 400)
        #expect(events.filter { $0["storage_class"] as? String == "cost" }.count == 400)
        #expect(logging.diagnostics.sampledOut == (400 - opsPerRequest.count) * 3)
        // The decision depends on the id only: another pipeline keeps the same requests.
        #expect(Sampler(rate: 0.5).keeps(level: .info, storageClass: .ops, requestID: "req-7", eventID: 1)
            == Sampler(rate: 0.5).keeps(level: .info, storageClass: .ops, requestID: "req-7", eventID: 2))
    }

    @Test func sinksOnlyGetTheStorageClassesTheyTake() {
        let auditOnly = InMemorySink(storageClasses: [.audit])
        let logging = TestLogging { $0.extraSinks = [auditOnly] }
        let logger = logging.logger()
        logger.info("ops")
        logger.info("audit", metadata: ["storage_class": "audit"])
        #expect(logging.sink.lines.count == 2)
        #expect(auditOnly.lines.count == 1)
        #expect(auditOnly.lines[0].contains(#""storage_class":"audit""#))
    }

    @Test func aDescriptionThatLogsDoesNotCorruptTheLineBeingBuilt() throws {
        let logging = TestLogging()
        let logger = logging.logger()
        let chatty = Chatty(logger: logger)
        logger.info("outer", metadata: ["value": .stringConvertible(chatty)])
        let events = try logging.sink.lines.map(parseWithFoundation)
        #expect(events.count == 2)
        #expect(events.contains { $0["message"] as? String == "from description" })
        let outer = try #require(events.first { $0["message"] as? String == "outer" })
        #expect((outer["context"] as? [String: Any])?["value"] as? String == "chatty")
    }

    @Test func theFileSinkAppendsEveryLineAndFlushes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var config = KeelConfiguration()
        config.console = nil
        config.file = path
        let pipeline = try Keel.makePipeline(config)
        let logger = Logger(label: "file") { KeelLogHandler(label: $0, pipeline: pipeline) }
        for i in 0..<5000 { logger.info("line", metadata: ["i": .stringConvertible(i)]) }
        pipeline.flush()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5000)
        #expect(try lines.enumerated().allSatisfy { i, line in
            (try parseWithFoundation(String(line))["context"] as? [String: Any])?["i"] as? Int == i
        })
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        pipeline.close()
        logger.info("after close")
        #expect(pipeline.diagnostics.writesAfterClose == 1)
    }

    @Test func theConsoleSplitsStreamsByLevel() throws {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        #expect(pipe(&outPipe) == 0 && pipe(&errPipe) == 0)
        let console = ConsoleSink(format: .json, streams: .split, stdoutFD: outPipe[1], stderrFD: errPipe[1])
        let logging = TestLogging { $0.extraSinks = [console] }
        let logger = logging.logger()
        logger.info("to stdout")
        logger.warning("warn to stdout")
        logger.error("to stderr")
        logger.critical("critical to stderr")
        close(outPipe[1])
        close(errPipe[1])
        let out = String(decoding: FileHandle(fileDescriptor: outPipe[0]).readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: FileHandle(fileDescriptor: errPipe[0]).readDataToEndOfFile(), as: UTF8.self)
        #expect(out.split(separator: "\n").count == 2 && out.contains("warn to stdout"))
        #expect(err.split(separator: "\n").count == 2 && err.contains("critical to stderr"))
    }

    @Test func textConsoleRendersOneReadableLinePerEvent() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let console = ConsoleSink(format: .text, streams: .stdoutOnly, colour: false, stdoutFD: fds[1], stderrFD: fds[1])
        let logging = TestLogging { $0.extraSinks = [console] }
        withLogContext(LogContext(requestID: "req-1")) {
            logging.logger(label: "api").error("two\nlines", metadata: ["status": "500"])
        }
        close(fds[1])
        let out = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        let lines = out.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines[0].contains("ERROR test-service [api] two\\nlines"), "the service is shown before the logger")
        #expect(lines[0].contains("request_id=req-1"))
        #expect(lines[0].contains("status=500"))
        #expect(!out.contains("\u{1B}"), "no colour when asked for none")
    }
}

private func expensiveMessage(_ sideEffect: () -> Void) -> String {
    sideEffect()
    return "expensive"
}

private struct Chatty: CustomStringConvertible, Sendable {
    let logger: Logger
    var description: String {
        logger.info("from description")
        return "chatty"
    }
}
