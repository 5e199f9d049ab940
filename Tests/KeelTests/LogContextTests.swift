import Foundation
@testable import Keel
import KeelTesting
import Logging
import Testing

struct LogContextTests {
    @Test func contextFlowsAcrossAwaitChildTasksAndTaskGroups() async throws {
        let logging = TestLogging()
        let logger = logging.logger(label: "app")
        await withLogContext(LogContext(requestID: "req-1", tenantID: "t-1")) {
            await Task.yield()
            try? await Task.sleep(for: .milliseconds(1))
            logger.info("after await")
            async let child: Void = { logger.info("in async let") }()
            await child
            await Task { logger.info("in unstructured task") }.value
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<4 {
                    group.addTask {
                        await withLogContext(LogContext(stepID: "step-\(i)")) { logger.info("in group") }
                    }
                }
            }
        }
        let events = try logging.sink.lines.map(parseWithFoundation)
        #expect(events.count == 7)
        for event in events {
            #expect(event["request_id"] as? String == "req-1")
            #expect(event["tenant_id"] as? String == "t-1")
        }
        let steps = Set(events.compactMap { $0["step_id"] as? String })
        #expect(steps == ["step-0", "step-1", "step-2", "step-3"])
    }

    @Test func concurrentRequestsNeverSeeEachOthersIds() async throws {
        let logging = TestLogging()
        let logger = logging.logger()
        await withTaskGroup(of: Void.self) { group in
            for r in 0..<50 {
                group.addTask {
                    await withLogContext(LogContext(requestID: "req-\(r)", userID: "user-\(r)")) {
                        for step in 0..<10 {
                            if step % 3 == 0 { await Task.yield() }
                            logger.info("step", metadata: ["r": "\(r)"])
                        }
                    }
                }
            }
        }
        let events = try logging.sink.lines.map(parseWithFoundation)
        #expect(events.count == 500)
        for event in events {
            let r = (event["context"] as? [String: Any])?["r"] as? String
            #expect(event["request_id"] as? String == "req-\(r ?? "?")")
            #expect(event["user_id"] as? String == "user-\(r ?? "?")")
        }
    }

    @Test func contextEndsWithItsScopeAndInnerScopesMerge() throws {
        let logging = TestLogging()
        let logger = logging.logger()
        withLogContext(LogContext(requestID: "outer", tenantID: "t")) {
            withLogContext(LogContext(requestID: "inner", runID: "run-1")) { logger.info("inner") }
            logger.info("outer")
        }
        logger.info("none")
        let events = try logging.sink.lines.map(parseWithFoundation)
        #expect(events[0]["request_id"] as? String == "inner")
        #expect(events[0]["tenant_id"] as? String == "t")
        #expect(events[0]["run_id"] as? String == "run-1")
        #expect(events[1]["request_id"] as? String == "outer")
        #expect(events[1]["run_id"] == nil)
        #expect(events[2]["request_id"] == nil && events[2]["tenant_id"] == nil)
    }

    @Test func theKeelProviderGivesOtherHandlersTheSameIds() {
        withLogContext(LogContext(requestID: "r-9", traceID: "4bf92f3577b34da6a3ce929d0e0e4736")) {
            let metadata = Logger.MetadataProvider.keel.get()
            #expect(metadata["request_id"] == "r-9")
            #expect(metadata["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
        }
        #expect(Logger.MetadataProvider.keel.get().isEmpty)
    }

    /// A tracer's provider (swift-otel's `makeLoggingMetadataProvider()` writes `trace_id`/`span_id`) combined
    /// through the configuration wins over the context's ids; the call's metadata wins over both.
    @Test func aTracerProviderWinsOverContextIdsAndTheCallWinsOverBoth() throws {
        let stubTracer = Logger.MetadataProvider {
            ["trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331", "trace_flags": "01"]
        }
        let logging = TestLogging { $0.metadataProvider = stubTracer }
        let logger = logging.logger()
        withLogContext(LogContext(requestID: "r", traceID: "4bf92f3577b34da6a3ce929d0e0e4736", spanID: "00f067aa0ba902b7")) {
            logger.info("in span")
            logger.info("explicit", metadata: ["span_id": "1111111111111111"])
        }
        let events = try logging.sink.lines.map(parseWithFoundation)
        #expect(events[0]["trace_id"] as? String == "0af7651916cd43dd8448eb211c80319c")
        #expect(events[0]["span_id"] as? String == "b7ad6b7169203331")
        #expect(events[0]["request_id"] as? String == "r")
        #expect((events[0]["context"] as? [String: Any])?["trace_flags"] as? String == "01")
        #expect(events[1]["span_id"] as? String == "1111111111111111")
    }

    @Test func aLibraryLoggerMadeWithTheProviderCarriesTheIds() throws {
        // What `LoggingSystem.bootstrap` does for every `Logger(label:)`, including libraries' loggers.
        let logging = TestLogging()
        let library = Logger(label: "some.library") { label in
            KeelLogHandler(label: label, pipeline: logging.pipeline, metadataProvider: .keel)
        }
        withLogContext(LogContext(requestID: "lib-req")) { library.info("library speaking") }
        let event = try logging.onlyEvent()
        #expect(event["request_id"] as? String == "lib-req")
        #expect(event["logger"] as? String == "some.library")
        #expect(event["context"] == nil, "ids are read once, not duplicated into context")
    }
}

struct LogContextValueTests {
    @Test func contextFieldsAreTheContiguousCorrelationScopeAndRunFields() {
        #expect(LogContext.fields.map(\.rawValue) == Array(FieldID.requestID.rawValue...FieldID.stepID.rawValue))
    }

    @Test func settingAndClearingFieldsKeepsValueSemantics() {
        var a = LogContext(requestID: "r")
        let b = a
        a.tenantID = "t"
        #expect(b.tenantID == nil && a.tenantID == "t" && a.requestID == "r")
        a.requestID = nil
        a.tenantID = nil
        #expect(a.isEmpty && a == LogContext())
        #expect(LogContext(userID: "u") == LogContext(userID: "u"))
        #expect(LogContext(userID: "u").merging(LogContext(runID: "x")) == LogContext(userID: "u", runID: "x"))
    }
}
