@testable import KeelRules
import Foundation
import Hummingbird
import HummingbirdTesting
import Keel
@testable import KeelServer
import Synchronization
import Testing

/// Alerts from a real `keel serve` with a one-second rule interval, to real HTTP receivers started by the test: a
/// webhook, a minimal Alertmanager API and a Slack-style hook. An error spike fires with the right labels and
/// rendered annotations, and resolves once the errors stop; a receiver failing three times gets the notification
/// once; a restart while firing neither fires again nor loses the resolution; another tenant sees nothing.
@Suite(.serialized) struct AlertNotificationTests {
    static func rules(window: String) -> String {
        """
        groups:
          - name: errors
            interval: 1s
            rules:
              - alert: ErrorSpike
                expr: sum by (service) (count_over_time({level="ERROR"}[\(window)])) > 2
                labels: {severity: page}
                annotations:
                  summary: "{{ $labels.service }} logged {{ $value }} errors"
        """
    }

    static func configure(_ configuration: inout ServerConfiguration, receiver port: Int, window: String) throws {
        let file = try RuleFile.parse(rules(window: window))
        // Both tenants have the rule; only tenant-a has errors.
        configuration.ruleFiles = [
            RuleNamespace(tenant: "tenant-a", name: "errors", file: file), RuleNamespace(tenant: "tenant-b", name: "errors", file: file),
        ]
        configuration.alertReceivers = [
            AlertReceiver(kind: .webhook, url: "http://127.0.0.1:\(port)/hook"),
            AlertReceiver(kind: .alertmanager, url: "http://127.0.0.1:\(port)"),
            AlertReceiver(kind: .slack, url: "http://127.0.0.1:\(port)/slack"),
        ]
        configuration.alertResendDelay = .seconds(60)
        configuration.externalURL = "http://keel.example"
        configuration.notifications.retry = DeliveryRetry(
            backoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(200)), maximumAttempts: 10)
    }

    static func spike(_ count: Int, service: String = "api") -> [String] {
        (0..<count).map { keelLine("spike-\(UUID())-\($0)", message: "upstream failed", level: "ERROR", extra: #""service":"\#(service)""#) }
    }

    @Test func anErrorSpikeIsSentFiringThenResolvedToEveryReceiverOnceThroughFailures() async throws {
        let receiver = TestReceiver()
        receiver.fail("/hook", times: 3)
        try await receiver.application().test(.live) { receiverClient in
            let server = try TestServer { try? Self.configure(&$0, receiver: receiverClient.port!, window: "4s") }
            defer { server.remove() }
            try await server.run { client async throws in
                #expect(try await client.ingest(Self.spike(5), token: server.ingestA).status == 200)

                // Firing: the webhook, after three 503s, once.
                let firing = try await receiver.wait(for: "/hook") { $0.body?["status"]?.stringValue == "firing" }
                #expect(receiver.answered("/hook", status: 503) == 3)
                let alert = firing.body?["alerts"]?[0]
                #expect(alert?["labels"]?["service"]?.stringValue == "api" && alert?["labels"]?["alertname"]?.stringValue == "ErrorSpike")
                #expect(alert?["labels"]?["severity"]?.stringValue == "page" && alert?["labels"]?["tenant"]?.stringValue == "tenant-a")
                #expect(alert?["annotations"]?["summary"]?.stringValue == "api logged 5 errors")
                let link = alert?["generatorURL"]?.stringValue ?? ""
                #expect(link.hasPrefix("http://keel.example/?q=") && link.removingPercentEncoding?.contains(#"{level="ERROR"} | service = "api""#) == true, "\(link)")
                #expect(firing.body?["text"]?.stringValue?.hasPrefix("[FIRING] ErrorSpike") == true)

                // The Alertmanager got the alert Prometheus would send: ends in the future while firing.
                let sent = try await receiver.wait(for: "/api/v2/alerts") { _ in true }
                let managed = sent.body?[0]
                #expect(managed?["labels"]?["alertname"]?.stringValue == "ErrorSpike" && managed?["annotations"]?["summary"]?.stringValue == "api logged 5 errors")
                #expect((managed?["endsAt"]?.stringValue ?? "") > (managed?["startsAt"]?.stringValue ?? "~"))
                let slack = try await receiver.wait(for: "/slack") { _ in true }
                #expect(slack.body?["text"]?.stringValue?.contains("[FIRING] ErrorSpike service=api severity=page — api logged 5 errors") == true)

                // The errors leave the window: resolved, everywhere.
                let resolved = try await receiver.wait(for: "/hook") { $0.body?["status"]?.stringValue == "resolved" }
                #expect(resolved.body?["alerts"]?[0]?["endsAt"]?.stringValue?.hasPrefix("0001") == false)
                let ended = try await receiver.wait(for: "/api/v2/alerts") { reply in
                    (reply.body?[0]?["endsAt"]?.stringValue ?? "~") < AlertNotification.time(Timestamp.now().microsecondsSinceEpoch)
                }
                #expect(ended.body?[0]?["labels"]?["service"]?.stringValue == "api")
                _ = try await receiver.wait(for: "/slack") { $0.body?["text"]?.stringValue?.hasPrefix("[RESOLVED]") == true }
                #expect(receiver.delivered("/hook").map { $0.body?["status"]?.stringValue ?? "" } == ["firing", "resolved"])

                // Audited: the firing notification took four attempts.
                let notified = try await client.events(token: server.readA, query: "event=alert.notified&since=1h")
                let hook = notified.first { $0["context"]?["receiver"]?.stringValue == "webhook 127.0.0.1" && $0["context"]?["status"]?.stringValue == "firing" }
                #expect(hook?["context"]?["attempts"] == .number("4"), "\(notified)")
                #expect(notified.allSatisfy { !"\($0)".contains("/hook") && !"\($0)".contains("/slack") }, "a receiver's path is never logged")

                // tenant-b has the same rule and no errors: nothing fired, nothing sent for it.
                #expect(try await client.events(token: server.readB, query: "event=alert.firing&since=1h").isEmpty)
                #expect(receiver.all.allSatisfy { !"\($0.body.map { "\($0)" } ?? "")".contains("tenant-b") })
            }
        }
    }

    @Test func aRestartWhileFiringNeitherFiresAgainNorLosesTheResolution() async throws {
        let receiver = TestReceiver()
        try await receiver.application().test(.live) { receiverClient in
            let server = try TestServer { try? Self.configure(&$0, receiver: receiverClient.port!, window: "5s") }
            defer { server.remove() }
            try await server.run { client async throws in
                #expect(try await client.ingest(Self.spike(4), token: server.ingestA).status == 200)
                _ = try await receiver.wait(for: "/hook") { $0.body?["status"]?.stringValue == "firing" }
                _ = try await receiver.wait(for: "/api/v2/alerts") { _ in true }
            }
            // Down while firing; the errors leave the window meanwhile, or soon after the restart.
            try await server.run { _ async throws in
                _ = try await receiver.wait(for: "/hook", timeout: .seconds(20)) { $0.body?["status"]?.stringValue == "resolved" }
                _ = try await receiver.wait(for: "/api/v2/alerts") { reply in
                    (reply.body?[0]?["endsAt"]?.stringValue ?? "~") < AlertNotification.time(Timestamp.now().microsecondsSinceEpoch)
                }
            }
            #expect(receiver.delivered("/hook").map { $0.body?["status"]?.stringValue ?? "" } == ["firing", "resolved"])
            // The Alertmanager (resend delay a minute) was sent the firing alert once and its resolution once.
            let managed = receiver.delivered("/api/v2/alerts")
            #expect(managed.count == 2, "\(managed.map { $0.body.map { "\($0)" } ?? "" })")
            let firstEnd = managed.first?.body?[0]?["endsAt"]?.stringValue ?? ""
            #expect(firstEnd > AlertNotification.time(Timestamp.now().microsecondsSinceEpoch), "the first was sent firing, valid minutes ahead")
        }
    }

    @Test func aNotificationWaitingAtAStopIsSentAfterTheRestartOnce() async throws {
        let receiver = TestReceiver()
        receiver.fail("/hook", times: 1_000)
        try await receiver.application().test(.live) { receiverClient in
            let server = try TestServer {
                try? Self.configure(&$0, receiver: receiverClient.port!, window: "1m")
                $0.alertReceivers = [AlertReceiver(kind: .webhook, url: "http://127.0.0.1:\(receiverClient.port!)/hook")]
            }
            defer { server.remove() }
            try await server.run { client async throws in
                #expect(try await client.ingest(Self.spike(4), token: server.ingestA).status == 200)
                // Fired, and refused by the receiver at least once: it waits in the queue.
                for _ in 0..<200 where receiver.answered("/hook", status: 503) == 0 { try await Task.sleep(for: .milliseconds(50)) }
                #expect(receiver.answered("/hook", status: 503) > 0)
                #expect(client.server.notifier.waiting.map(\.status) == ["firing"])
            }
            receiver.fail("/hook", times: 0)
            try await server.run { _ async throws in
                _ = try await receiver.wait(for: "/hook") { $0.body?["status"]?.stringValue == "firing" }
                try await Task.sleep(for: .seconds(1.5))
            }
            #expect(receiver.delivered("/hook").count == 1, "sent once, from the queue kept in the data directory")
        }
    }

    @Test func aFullQueueDropsTheOldestAndAuditsIt() async throws {
        // No receiver listens here: every notification waits, and a queue of one drops the older.
        let server = try TestServer {
            $0.ruleFiles = [RuleNamespace(tenant: "tenant-a", name: "errors", file: try! RuleFile.parse(Self.rules(window: "1m")))]
            $0.alertReceivers = [AlertReceiver(kind: .webhook, url: "http://127.0.0.1:9/hook")]
            $0.notifications.capacity = 1
            $0.notifications.retry = DeliveryRetry(backoff: Backoff(initial: .seconds(60), maximum: .seconds(60)), maximumAttempts: 3)
        }
        defer { server.remove() }
        try await server.run { client async throws in
            #expect(try await client.ingest(Self.spike(3, service: "api") + Self.spike(3, service: "web"), token: server.ingestA).status == 200)
            var failed: [JSONValue] = []
            for _ in 0..<100 where failed.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                failed = try await client.events(token: server.readA, query: "event=alert.notify_failed&since=1h")
            }
            #expect(failed.count == 1 && failed.first?["context"]?["reason"]?.stringValue?.contains("queue was full") == true, "\(failed)")
            #expect(client.server.notifier.waiting.count == 1 && client.server.notifier.dropped == 1)
            let metrics = try await client.send("/metrics", token: server.adminA)
            #expect(metrics.text.contains("keel_alert_notifications_dropped_total 1"), "\(metrics.text.prefix(300))")
        }
    }
}

extension JSONValue {
    /// An array's element, for reading receivers' bodies.
    fileprivate subscript(_ index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

/// An HTTP receiver of notifications for tests: records every request, and answers 503 to a path's first few.
final class TestReceiver: Sendable {
    struct Received: Sendable {
        let path: String
        let body: JSONValue?
        let status: Int
        let at: Date
    }

    private let state = Mutex<(received: [Received], failures: [String: Int])>(([], [:]))

    func fail(_ path: String, times: Int) { state.withLock { $0.failures[path] = times } }

    var all: [Received] { state.withLock { $0.received } }

    /// The requests to `path` answered 2xx.
    func delivered(_ path: String) -> [Received] { all.filter { $0.path == path && $0.status == 200 } }

    func answered(_ path: String, status: Int) -> Int { all.filter { $0.path == path && $0.status == status }.count }

    /// The first request to `path` answered 2xx that `matches`, waiting up to `timeout` for it.
    func wait(for path: String, timeout: Duration = .seconds(15), _ matches: (Received) -> Bool) async throws -> Received {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = delivered(path).first(where: matches) { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("nothing matching reached \(path) within \(timeout): \(all.map { "\($0.path) \($0.status) \($0.body.map { "\($0)" } ?? "")" })")
        throw CancellationError()
    }

    func application() -> some ApplicationProtocol {
        let router = Router()
        for path in ["/hook", "/slack", "/api/v2/alerts"] {
            router.post(RouterPath(path)) { request, _ -> Response in
                var request = request
                let bytes = try await request.collectBody(upTo: 1 << 20)
                let body = try? JSONParser.parse(Array(bytes.readableBytesView))
                let status = self.state.withLock { state -> Int in
                    let failing = state.failures[path, default: 0] > 0
                    if failing { state.failures[path, default: 0] -= 1 }
                    state.received.append(Received(path: path, body: body, status: failing ? 503 : 200, at: Date()))
                    return failing ? 503 : 200
                }
                return Response(status: .init(code: status))
            }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}
