#if canImport(Glibc)
import Glibc
#endif
import Keel
import Logging

// A small service-shaped program that logs through Keel: run it with `swift run hello-keel`.
// Try LOG_FORMAT=text, LOG_LEVEL=debug, LOG_FILE=/tmp/hello.log, KEEL_SERVICE=hello.

struct UpstreamTimeout: ClassifiedError, CustomStringConvertible {
    var errorCode: String { "upstream_timeout" }
    var isRetryable: Bool? { true }
    var description: String { "the model provider did not answer within 30 s" }
}

do {
    try Keel.bootstrap(.fromEnvironment())
} catch {
    print("hello-keel: \(error)")
    exit(2)
}

let logger = Logger(label: "hello")
logger.info("service started", metadata: ["event": "service.started"])

for n in 1...3 {
    await withLogContext(LogContext(requestID: "req-\(n)", tenantID: "tenant_42", userID: "user_789")) {
        logger.info(
            "request handled",
            metadata: [
                "route": "/v1/chat/completions", "method": "POST", "status": .stringConvertible(200),
                "duration_ms": .stringConvertible(12.5), "model": "gpt-4o-mini",
                "tokens_prompt": .stringConvertible(512), "tokens_response": .stringConvertible(128),
            ])
        if n == 3 {
            logger.error("model call failed", error: UpstreamTimeout(), metadata: ["provider": "openai"])
        }
    }
}
logger.info("service stopping", metadata: ["event": "service.stopped"])
Keel.shutdown()
