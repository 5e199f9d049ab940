import Foundation
import Keel
import KeelTesting
@testable import KeelTools
import Logging
import Testing

private func lint(_ lines: [String], linter: LogLinter = LogLinter()) -> [LogLinter.Finding] {
    lines.flatMap { line in
        var line = line
        return line.withUTF8 { linter.check(UnsafeRawBufferPointer($0)) }
    }
}

struct LintTests {
    @Test func whatKeelWritesIsCleanSchemaV1() {
        let logging = TestLogging()
        let logger = logging.logger()
        withLogContext(LogContext(requestID: "r-1", tenantID: "t", sessionID: "s-9")) {
            logger.info("request handled", metadata: ["status": "200", "tokens_prompt": "512", "x": ["y": "z"]])
            logger.error("boom", error: CancellationError())
            logger.info("audit", metadata: ["storage_class": "cost", "provider": "openai", "model": "m"])
            logger.info("forged", metadata: ["level": "DEBUG", "password": "hunter2", "mail": "a@b.io"])
        }
        let findings = lint(logging.sink.lines.map { String($0.dropLast()) })
        #expect(findings.isEmpty, "\(findings.map(\.text))")
    }

    @Test func schemaViolationsAndLeaksAreReportedByPathNeverByValue() {
        let linter = LogLinter()
        let findings = lint(
            [
                #"{"timestamp":"2026-11-22T10:00:00Z","level":"LOUD","message":"mail bob@example.com","event":"log","service":"s","schema_version":2,"event_id":"x","storage_class":"ops","status":"200","context":{"password":"hunter2","card":"4111 1111 1111 1111"},"extra":1}"#,
                "plain text from 36.26.117.70",
                #"{"level":"INFO"}"#,
            ], linter: linter)
        let texts = findings.map(\.text)
        for expected in [
            "schema: field \"timestamp\" does not match", "schema: field \"level\" has \"LOUD\"",
            "schema: schema_version must be 1", "schema: field \"status\" must be integer, found string",
            "schema: unknown field \"extra\"", "leak: EMAIL at message", "leak: SECRET at context.password",
            "leak: CREDIT_CARD at context.card", "not JSON", "leak: IPV4 at (the line)",
            "schema: missing field \"event_id\" (required for ops events)",
        ] {
            #expect(texts.contains { $0.hasPrefix(expected) }, "missing: \(expected) in \(texts)")
        }
        for value in ["bob@example.com", "hunter2", "4111", "36.26.117.70"] {
            #expect(!texts.joined().contains(value), "the value \(value) must never be printed")
        }
        #expect(findings.first { $0.text.hasPrefix("not JSON") }?.line == 2)
        #expect(linter.linesWithFindings == 3)
        #expect(linter.summary.contains("| schema |"))
    }

    @Test func maskedValuesAreNotLeaks() {
        let findings = lint([
            #"{"message":"x","context":{"password":"[REDACTED:SECRET]","body":{"redacted":"BODY","bytes":3}}}"#
        ], linter: LogLinter(checkSchema: false))
        #expect(findings.isEmpty, "\(findings.map(\.text))")
    }
}
