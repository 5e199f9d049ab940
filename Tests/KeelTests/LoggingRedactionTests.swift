import Foundation
@testable import Keel
import KeelTesting
import Logging
import Testing

struct LoggingRedactionTests {
    @Test func messagesFieldsAndContextAreRedactedAndTheEventSaysWhat() throws {
        let logging = TestLogging()
        logging.logger().error(
            "login failed for bob@example.com from 36.26.117.70",
            error: Failure(message: "card 4111 1111 1111 1111 declined"),
            metadata: [
                "user_id": "alice@example.com", "password": "hunter2", "request_body": #"{"ssn":"459-11-2641"}"#,
                "headers": ["Authorization": "Bearer abcdefghijklmnop", "Accept": "text/html"],
                "note": ["call +1-616-713-4546"],
            ])
        let line = try #require(logging.sink.lines.first)
        for secret in ["bob@example.com", "36.26.117.70", "4111 1111", "alice@example.com", "hunter2", "459-11-2641",
            "abcdefghijklmnop", "616-713-4546"]
        {
            #expect(!line.contains(secret), "\(secret) leaked: \(line)")
        }
        let event = try parseWithFoundation(line)
        let context = try #require(event["context"] as? [String: Any])
        #expect(context["password"] as? String == "[REDACTED:SECRET]")
        #expect((context["request_body"] as? [String: Any])?["bytes"] as? Int == 21)
        #expect((context["headers"] as? [String: Any])?["Accept"] as? String == "text/html")
        let redacted = Set(try #require(event["redacted"] as? [String]))
        #expect(redacted == ["EMAIL", "IPV4", "CREDIT_CARD", "SECRET", "BODY", "PHONE"])
        #expect(logging.diagnostics.redactionsByType["EMAIL"] == 1)
        #expect(try topLevelKeys(line).last == "redacted", "redacted comes after context, before the audit fields")
    }

    @Test func aCleanEventHasNoRedactedField() throws {
        let logging = TestLogging()
        logging.logger().info("request handled", metadata: ["request_id": "00000000000000000000000042", "status": "200"])
        #expect(try logging.onlyEvent()["redacted"] == nil)
    }

    @Test func valuesMarkedSensitiveAreAlwaysMasked() throws {
        let logging = TestLogging()
        let name = "Heather Day"
        logging.logger().info(
            "profile updated",
            metadata: [
                "display_name": "\(name, attributes: { $0[Sensitivity.self] = .sensitive })",
                "user_id": .attributed("u-123", attributes: [Sensitivity.sensitive]),
                "plan": .attributed("pro", attributes: [Sensitivity.public]),
            ])
        let line = try #require(logging.sink.lines.first)
        #expect(!line.contains("Heather"))
        #expect(!line.contains("u-123"))
        let event = try parseWithFoundation(line)
        #expect(event["user_id"] as? String == "[REDACTED:SENSITIVE]")
        #expect((event["context"] as? [String: Any])?["plan"] as? String == "pro")
        #expect((event["redacted"] as? [String])?.contains("SENSITIVE") == true)
    }

    @Test func auditEventsLoseSecretKeysEvenWithRedactionOff() throws {
        let logging = TestLogging { $0.redaction = nil }
        let logger = logging.logger()
        logger.info("ops", metadata: ["password": "p1", "mail": "a@b.io"])
        logger.info("audit", metadata: ["storage_class": "audit", "password": "p2", "client_secret": "s2"])
        let lines = logging.sink.lines
        #expect(lines[0].contains("p1") && lines[0].contains("a@b.io"), "redaction off leaves ops events as given")
        #expect(!lines[1].contains("p2") && !lines[1].contains("s2"))
    }

    @Test func pseudonymsAreStableAndKeyed() throws {
        var policy = RedactionPolicy()
        policy.pseudonymizer = try Pseudonymizer(key: Array("0123456789abcdef0123456789abcdef".utf8))
        let redactor = StringRedactor(policy: policy)
        let a = try #require(redactor.redact("mail alice@example.com now")?.text)
        let b = try #require(redactor.redact("from alice@example.com")?.text)
        let c = try #require(redactor.redact("from carol@example.com")?.text)
        let token = try #require(a.split(separator: " ").dropFirst().first.map(String.init))
        #expect(token.hasPrefix("email:") && token.count == 14)
        #expect(b.hasSuffix(token), "the same value gives the same pseudonym")
        #expect(!c.hasSuffix(token))
        // Secrets are never pseudonymised.
        #expect(redactor.redact("key AKIAPOWNGFLEZWZOHO7X")?.text == "key [REDACTED:AWS_ACCESS_KEY]")
        var other = RedactionPolicy()
        other.pseudonymizer = try Pseudonymizer(key: Array("another key of 16+ bytes".utf8))
        #expect(StringRedactor(policy: other).redact("from alice@example.com")?.text.hasSuffix(token) == false)
        #expect(throws: RedactionPolicyError.self) { try Pseudonymizer(key: [1, 2, 3]) }
    }
}

struct RedactionPolicyFileTests {
    let noFiles: (String) throws -> [UInt8] = { path in throw TestFailure("no file \(path)") }

    @Test func aPolicyFileAddsKeysSwitchesDetectorsAndAddsCustomOnes() throws {
        let policy = try RedactionPolicy.load(
            json: #"""
                {"secret_keys": ["x-internal-token", "tracking"], "body_keys": ["document"], "keep_keys": ["pin"],
                 "allowed_paths": ["support.email"], "detectors": {"IPV4": false},
                 "custom_detectors": [{"type": "employee_id", "pattern": "EMP-[0-9]{6}"}],
                 "max_string_length": 4096, "pseudonym_key_file": "/keys/pseudonym"}
                """#,
            readFile: { _ in Array("sixteen-byte-key!!".utf8) })
        #expect(policy.keyRules.verdict(for: "X-Internal-Token") == .secret)
        #expect(policy.keyRules.verdict(for: "tracking") == .secret)
        #expect(policy.keyRules.verdict(for: "document") == .body)
        #expect(policy.keyRules.verdict(for: "pin") == .keep)
        #expect(policy.disabledDetectors == [.ipv4])
        #expect(policy.maximumStringLength == 4096)
        #expect(policy.pseudonymizer != nil)
        let redacted = StringRedactor(policy: policy).redact("badge EMP-123456 at 10.0.0.1")
        #expect(redacted?.text == "badge [REDACTED:EMPLOYEE_ID] at 10.0.0.1")
    }

    @Test(arguments: [
        (#"{"secrets": []}"#, "unknown field \"secrets\""),
        (#"{"detectors": {"EMAILS": false}}"#, "unknown detector \"EMAILS\""),
        (#"{"detectors": {"EMAIL": "no"}}"#, "must be true or false"),
        (#"{"custom_detectors": [{"type": "X", "pattern": "("}]}"#, "not a valid regular expression"),
        (#"{"max_string_length": 10}"#, "max_string_length"),
        (#"{"pseudonym_key_file": "/missing"}"#, "cannot read pseudonym key file /missing"),
        (#"[1]"#, "must be a JSON object"),
        (#"{"secret_keys": "password"}"#, "must be an array"),
        ("not json", "not valid JSON"),
    ])
    func badPoliciesFailWithAMessageNamingTheField(_ json: String, _ expected: String) {
        #expect {
            _ = try RedactionPolicy.load(json: json, readFile: noFiles)
        } throws: { error in
            (error as? RedactionPolicyError)?.description.contains(expected) == true
        }
    }

    @Test func theEnvironmentVariableNamesItselfWhenThePolicyIsBad() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID()).json").path
        try #"{"detectors": {"NOPE": true}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try KeelConfiguration.fromEnvironment(["KEEL_REDACTION_POLICY": path])
        } throws: { error in
            let e = error as? ConfigurationError
            return e?.variable == "KEEL_REDACTION_POLICY" && e?.description.contains("NOPE") == true
        }
        #expect(try KeelConfiguration.fromEnvironment(["KEEL_REDACTION_POLICY": "off"]).redaction == nil)
    }
}

private struct Failure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
