import Keel
import KeelTesting
import Logging
import Testing

struct InMemorySinkTests {
    @Test func keepsEveryLineInOrderAndParsesThem() throws {
        let logging = TestLogging()
        let logger = logging.logger(label: "t")
        for i in 0..<100 { logger.info("n", metadata: ["i": "\(i)"]) }
        let events = try logging.sink.events()
        #expect(events.count == 100)
        #expect(events.enumerated().allSatisfy { i, e in e["context"]?["i"] == .string("\(i)") })
        #expect(logging.sink.lines.allSatisfy { $0.hasSuffix("\n") })
        logging.sink.removeAll()
        #expect(logging.sink.lines.isEmpty)
    }

    @Test func takesOnlyTheStorageClassesItWasGiven() {
        let sink = InMemorySink(storageClasses: [.cost])
        #expect(sink.accepts(.cost))
        #expect(!sink.accepts(.ops))
        #expect(!sink.accepts(.audit))
        #expect(InMemorySink().accepts(.audit))
    }

    @Test func testLoggingHonoursItsConfiguration() throws {
        let logging = TestLogging { $0.level = .error; $0.service = "svc" }
        let logger = logging.logger()
        logger.warning("dropped by level")
        logger.error("kept")
        let events = try logging.sink.events()
        #expect(events.count == 1)
        #expect(events[0]["service"] == .string("svc"))
    }
}
