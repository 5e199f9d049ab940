import Foundation
@testable import Keel
import KeelTesting
import Logging
import Testing

struct LockedFieldTests {
    @Test func pipelineOwnedFieldsCannotBeOverwrittenAndAreKeptInContext() throws {
        let logging = TestLogging()
        let forged: Logger.Metadata = [
            "timestamp": "1999-01-01T00:00:00.000000Z", "level": "CRITICAL", "event_id": "forged",
            "schema_version": .stringConvertible(99), "seq": .stringConvertible(1), "hash": "00",
            "prev_hash": "00", "service": "impostor", "message": "forged message", "logger": "other",
            "pid": .stringConvertible(1), "source": "x", "context": "flat", "truncated": .stringConvertible(true),
        ]
        logging.logger().info("real message", metadata: forged)
        let event = try logging.onlyEvent()
        #expect(event["level"] as? String == "INFO")
        #expect(event["message"] as? String == "real message")
        #expect(event["service"] as? String == "test-service")
        #expect(event["schema_version"] as? Int == 1)
        #expect(event["event_id"] as? String != "forged")
        #expect(event["seq"] == nil && event["hash"] == nil && event["prev_hash"] == nil)
        #expect(event["logger"] as? String == "test")
        #expect(event["truncated"] == nil)
        let context = try #require(event["context"] as? [String: Any])
        #expect(context["level"] as? String == "CRITICAL")
        #expect(context["event_id"] as? String == "forged")
        #expect(context["service"] as? String == "impostor")
        #expect(context["schema_version"] as? Int == 99)
        #expect(context["context"] as? String == "flat")
        #expect(context.count == forged.count, "every forged key is kept, none lost")
        #expect(logging.diagnostics.reclassifiedFields == forged.count)
    }

    @Test func valuesOfTheWrongTypeGoToContextAndAreCounted() throws {
        let logging = TestLogging()
        logging.logger().info(
            "typed",
            metadata: [
                "status": "OK", "duration_ms": "fast", "retryable": "maybe", "tokens_prompt": .stringConvertible(1.5),
                "request_id": ["nested": "no"], "storage_class": "forever", "event": "Not A Dotted Name",
                "error": "just a string",
            ])
        let event = try logging.onlyEvent()
        for key in ["status", "duration_ms", "retryable", "tokens_prompt", "request_id", "error"] {
            #expect(event[key] == nil, "\(key) must not be promoted")
        }
        #expect(event["storage_class"] as? String == "ops")
        #expect(event["event"] as? String == "log")
        let context = try #require(event["context"] as? [String: Any])
        #expect(context["status"] as? String == "OK")
        #expect(context["storage_class"] as? String == "forever")
        #expect(context["event"] as? String == "Not A Dotted Name")
        #expect((context["request_id"] as? [String: Any])?["nested"] as? String == "no")
        #expect(logging.diagnostics.reclassifiedFields == 8)
    }

    @Test func stringsThatSpellTheTypeArePromoted() throws {
        let logging = TestLogging()
        logging.logger().info(
            "strings", metadata: ["status": "200", "duration_ms": "12.5", "retryable": "true", "bytes_in": "\(1024)"])
        let event = try logging.onlyEvent()
        #expect(event["status"] as? Int == 200)
        #expect(event["duration_ms"] as? Double == 12.5)
        #expect(event["retryable"] as? Bool == true)
        #expect(event["bytes_in"] as? Int == 1024)
        #expect(event["context"] == nil)
    }

    @Test func laterSourcesWinAndACorrectValueReplacesARejectedOne() throws {
        let logging = TestLogging()
        var logger = logging.logger()
        logger[metadataKey: "tenant_id"] = "from-handler"
        logger[metadataKey: "status"] = "not a number"
        logger[metadataKey: "shared"] = "handler"
        logger[metadataKey: "handler_only"] = "h"
        withLogContext(LogContext(requestID: "from-context", tenantID: "from-context")) {
            logger.info("merge", metadata: ["status": "201", "shared": "call"])
        }
        let event = try logging.onlyEvent()
        #expect(event["tenant_id"] as? String == "from-context")
        #expect(event["request_id"] as? String == "from-context")
        #expect(event["status"] as? Int == 201)
        let context = try #require(event["context"] as? [String: Any])
        #expect(context["shared"] as? String == "call")
        #expect(context["handler_only"] as? String == "h")
        #expect(context["status"] == nil, "the rejected handler value was replaced by the call's valid one")
        #expect(logging.diagnostics.reclassifiedFields == 0)

        logging.sink.removeAll()
        withLogContext(LogContext(requestID: "from-context")) {
            logger.info("call wins", metadata: ["request_id": "from-call"])
        }
        #expect(try logging.onlyEvent()["request_id"] as? String == "from-call")
    }

    @Test func overlongLinesAreCutToTheLimitAndMarkedTruncated() throws {
        let logging = TestLogging { $0.maxLineBytes = 2048 }
        let huge = String(repeating: "x", count: 100_000)
        var many: Logger.Metadata = [:]
        for i in 0..<400 { many["key\(i)"] = "value \(i)" }
        logging.logger().info("\(huge)", metadata: ["request_id": "r-1", "blob": "\(huge)"])
        logging.logger().info("many keys", metadata: many)
        logging.logger().info("short")
        let lines = logging.sink.lines
        #expect(lines.count == 3)
        for line in lines.prefix(2) {
            #expect(line.utf8.count <= 2048)
            let event = try parseWithFoundation(line)
            #expect(event["truncated"] as? Bool == true)
        }
        let first = try parseWithFoundation(lines[0])
        #expect(first["request_id"] as? String == "r-1", "short canonical fields survive")
        #expect((first["message"] as? String)?.hasSuffix("…") == true)
        #expect(try parseWithFoundation(lines[2])["truncated"] == nil)
        #expect(logging.diagnostics.truncatedEvents == 2)
    }
}
