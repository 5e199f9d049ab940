import Foundation
import Keel
import KeelTesting
import Logging
import Testing

@Suite struct DomainEventTests {
    @Test func usageIsACostEventWithTypedFields() throws {
        let logging = TestLogging()
        logging.logger().recordUsage(
            provider: "openai", model: "gpt-x", tokensPrompt: 120, tokensResponse: 30, costUSD: 0.0042)
        let event = try #require(try logging.sink.events().first)
        #expect(event["event"]?.stringValue == "usage.recorded")
        #expect(event["storage_class"]?.stringValue == "cost")
        #expect(event["tokens_prompt"] == .number("120"))
        #expect(event["tokens_response"] == .number("30"))
        #expect(event["cost_usd"]?.doubleValue == 0.0042)
        #expect(event["provider"]?.stringValue == "openai")
    }

    @Test func toolCallsCarrySizesAndHashesNeverContent() throws {
        let logging = TestLogging()
        let logger = logging.logger()
        let prompt = "Tell me about the customer with card 4111 1111 1111 1111 and PROMPT-MARKER-93"
        let call = logger.toolCallStarted("search", provider: "acme", model: "m1", input: PayloadSummary(prompt))
        logger.toolCallEnded(call, output: PayloadSummary("OUTPUT-MARKER-17"))
        struct Timeout: Error {}
        let failing = logger.toolCallStarted("fetch")
        logger.toolCallFailed(failing, error: Timeout())
        #expect(!logging.sink.lines.contains { $0.contains("MARKER") || $0.contains("4111 1111") })
        let events = try logging.sink.events()
        #expect(events.map { $0["event"]?.stringValue } == ["tool_call.started", "tool_call.ended", "tool_call.started", "tool_call.failed"])
        #expect(events[0]["context"]?["input_bytes"] == .number("\(prompt.utf8.count)"))
        #expect(events[0]["context"]?["input_sha256"]?.stringValue == PayloadSummary(prompt).sha256)
        #expect(events[0]["context"]?["call_id"] == events[1]["context"]?["call_id"])
        #expect(events[1]["model"]?.stringValue == "m1")
        #expect(events[1]["duration_ms"] != nil)
        #expect(events[3]["level"]?.stringValue == "ERROR")
        #expect(events[3]["error"]?["type"] != nil)
        #expect(PayloadSummary(prompt).sha256.count == 16)
        #expect(PayloadSummary(prompt) != PayloadSummary(prompt + "!"))
    }

    @Test func securityEventsAreAuditEvents() throws {
        let logging = TestLogging()
        let logger = logging.logger()
        logger.loginSucceeded(userID: "u_1", method: "password")
        logger.loginFailed(userID: "u_2", method: "password", reason: "bad_password")
        logger.oauthAuthorized(userID: "u_1", provider: "github", clientID: "c_1", scopes: ["repo", "read:user"])
        logger.oauthTokenRefreshed(userID: "u_1", provider: "github", clientID: "c_1")
        logger.oauthScopeChanged(userID: "u_1", provider: "github", clientID: "c_1", scopes: ["repo"], previousScopes: ["repo", "read:user"])
        logger.oauthRevoked(userID: "u_1", provider: "github", clientID: "c_1", reason: "user_request")
        logger.accessDenied(userID: "u_3", resource: "export", action: "read")
        let events = try logging.sink.events()
        #expect(events.map { $0["event"]?.stringValue } == [
            "auth.login_succeeded", "auth.login_failed", "oauth.authorized", "oauth.token_refreshed",
            "oauth.scope_changed", "oauth.revoked", "access.denied",
        ])
        #expect(events.allSatisfy { $0["storage_class"]?.stringValue == "audit" })
        #expect(events[1]["level"]?.stringValue == "WARN")
        #expect(events[1]["user_id"]?.stringValue == "u_2")
        #expect(events[2]["context"]?["scopes"] == .array([.string("repo"), .string("read:user")]))
        #expect(events[2]["provider"]?.stringValue == "github")
    }

    @Test func aStatePulseNamesChangedKeysNeverValues() throws {
        let logging = TestLogging()
        let logger = logging.logger()
        var pulse = StatePulse("cache")
        pulse.record(["entries": "10", "mode": "warm", "owner": "SECRET-VALUE-1"], to: logger)
        pulse.record(["entries": "11", "mode": "warm", "owner": "SECRET-VALUE-1"], to: logger)
        pulse.record(["entries": "11", "mode": "warm", "owner": "SECRET-VALUE-1"], to: logger)
        pulse.record(["entries": "11"], to: logger)
        #expect(!logging.sink.lines.contains { $0.contains("SECRET-VALUE") || $0.contains("warm") })
        let events = try logging.sink.events()
        func changed(_ i: Int) -> [String] { events[i]["context"]?["changed_keys"].flatMap { value -> [String]? in
            guard case .array(let items) = value else { return nil }
            return items.compactMap(\.stringValue)
        } ?? [] }
        #expect(changed(0) == ["entries", "mode", "owner"])
        #expect(changed(1) == ["entries"])
        #expect(changed(2) == [])
        #expect(changed(3) == ["mode", "owner"])
        #expect(events[1]["context"]?["state_sha256"] == events[2]["context"]?["state_sha256"])
        #expect(events[0]["context"]?["state_sha256"] != events[1]["context"]?["state_sha256"])
    }

    @Test func everyCatalogueNameIsAValidUniqueEventNameAndDocumented() throws {
        let names = EventCatalogue.all.map(\.name)
        #expect(Set(names).count == names.count)
        for name in names {
            #expect(name.range(of: #"^[a-z0-9_]+(\.[a-z0-9_]+)+$"#, options: .regularExpression) != nil, "\(name)")
            #expect(SchemaDocument.markdown().contains("| `\(name)` |"))
        }
    }

    @Test func catalogueKindsCannotBeRelabelledByMetadata() throws {
        let logging = TestLogging()
        logging.logger().log(
            EventCatalogue.accessDenied, "denied", metadata: ["event": "something.else", "storage_class": "ops"])
        let event = try #require(try logging.sink.events().first)
        #expect(event["event"]?.stringValue == "access.denied")
        #expect(event["storage_class"]?.stringValue == "audit")
    }
}
