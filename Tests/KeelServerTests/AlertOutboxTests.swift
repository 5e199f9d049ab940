import Foundation
import Keel
@testable import KeelServer
import Testing

/// The notification queue as a state machine: bounded with drops counted, in order per receiver, retried on what
/// can change and given up on what cannot, an Alertmanager's batch replaced by the newer one, and saved whole.
struct AlertOutboxTests {
    static let hook = AlertReceiver(kind: .webhook, url: "http://127.0.0.1:9/hook")
    static let manager = AlertReceiver(kind: .alertmanager, url: "http://127.0.0.1:9")
    static let retry = DeliveryRetry(backoff: Backoff(initial: .seconds(1), maximum: .seconds(8), jitter: 0), maximumAttempts: 4)
    static let second: Int64 = 1_000_000

    static func add(_ queue: inout AlertOutbox, _ status: String, to receiver: AlertReceiver = hook, key: String? = nil, at now: Int64 = 0)
        -> [AlertOutbox.Notification]
    {
        queue.enqueue(receiver: receiver, tenant: "t", status: status, alertnames: ["A"], body: status, key: key, at: now)
    }

    @Test func aReceiverGetsItsNotificationsInOrderOneAtATime() {
        var queue = AlertOutbox(capacity: 10)
        _ = Self.add(&queue, "firing")
        _ = Self.add(&queue, "resolved")
        _ = Self.add(&queue, "firing", to: Self.manager, key: "t")
        // One per receiver: the resolution waits behind its firing.
        #expect(queue.due(at: 0).map(\.body) == ["firing", "firing"])
        let first = queue.due(at: 0)[0]
        // A 503: retried after the backoff, and the resolution still waits.
        guard case .retrying(_, let after) = queue.settle(id: first.id, outcome: .status(503), at: 0, retry: Self.retry, random: 0.5) else {
            Issue.record("a 503 is retried")
            return
        }
        #expect(after == .seconds(1))
        #expect(queue.due(at: Self.second - 1).map(\.receiver) == [Self.manager])
        #expect(queue.due(at: Self.second).map(\.body) == ["firing", "firing"])
        #expect(queue.settle(id: first.id, outcome: .status(200), at: Self.second, retry: Self.retry, random: 0.5) == .delivered(
            { var sent = first; sent.attempts = 1; sent.notBefore = Self.second; return sent }()))
        #expect(queue.due(at: Self.second).map(\.body) == ["resolved", "firing"])
    }

    @Test func aRefusalIsNotRetriedAndRepeatedFailuresAreGivenUp() {
        var queue = AlertOutbox(capacity: 10)
        _ = Self.add(&queue, "firing")
        let id = queue.items[0].id
        guard case .failed(_, let reason) = queue.settle(id: id, outcome: .status(400), at: 0, retry: Self.retry, random: 0) else {
            Issue.record("a 400 is not retried")
            return
        }
        #expect(reason.contains("400") && queue.items.isEmpty)

        _ = Self.add(&queue, "firing")
        let next = queue.items[0].id
        var now: Int64 = 0
        var waits: [Duration] = []
        while case .retrying(let notification, let after) = queue.settle(id: next, outcome: .failed, at: now, retry: Self.retry, random: 0) {
            waits.append(after)
            now = notification.notBefore
        }
        #expect(waits == [.seconds(1), .seconds(2), .seconds(4)], "exponential, within the attempts allowed")
        #expect(queue.items.isEmpty, "given up after 4 attempts")
    }

    @Test func aFullQueueDropsTheOldestAndCountsIt() {
        var queue = AlertOutbox(capacity: 2)
        #expect(Self.add(&queue, "one").isEmpty && Self.add(&queue, "two").isEmpty)
        let dropped = Self.add(&queue, "three")
        #expect(dropped.map(\.body) == ["one"] && queue.items.map(\.body) == ["two", "three"] && queue.dropped == 1)
    }

    @Test func anAlertmanagersBatchIsReplacedByTheNewerOneKeepingItsBackoff() {
        var queue = AlertOutbox(capacity: 10)
        _ = Self.add(&queue, "old", to: Self.manager, key: "t")
        let id = queue.items[0].id
        _ = queue.settle(id: id, outcome: .failed, at: 0, retry: Self.retry, random: 0)
        _ = Self.add(&queue, "new", to: Self.manager, key: "t", at: 10)
        _ = Self.add(&queue, "other tenant", to: Self.manager, key: "u", at: 10)
        #expect(queue.items.map(\.body) == ["new", "other tenant"])
        #expect(queue.items[0].notBefore == Self.second, "still waits out the backoff")
        // The old one was being sent when it was replaced: its outcome changes nothing.
        #expect(queue.settle(id: id, outcome: .status(200), at: Self.second, retry: Self.retry, random: 0) == .superseded)
        #expect(queue.items.count == 2)
    }

    @Test func whatWaitsIsSavedAndReadBackLessReceiversNoLongerConfigured() throws {
        var queue = AlertOutbox(capacity: 10)
        _ = Self.add(&queue, "firing")
        _ = Self.add(&queue, "batch", to: Self.manager, key: "t")
        let read = try JSONDecoder().decode(AlertOutbox.self, from: JSONEncoder().encode(queue))
        #expect(read == queue)
        let kept = read.keeping(receivers: [Self.hook], capacity: 10)
        #expect(kept.items.map(\.body) == ["firing"])
        // Ids go on from where they were: a new notification never takes a saved one's.
        var next = kept
        _ = Self.add(&next, "resolved")
        #expect(Set(next.items.map(\.id)).count == 2)
    }
}
