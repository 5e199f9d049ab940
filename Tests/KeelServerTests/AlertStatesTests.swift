@testable import KeelServer
import Testing

/// Prometheus's alert states, fed evaluations and times: pending for `for`, firing, resolved; `keep_firing_for`;
/// flapping; label sets that come and go on their own.
struct AlertStatesTests {
    static let minute: Int64 = 60_000_000
    static let api = ["service": "api"]
    static let web = ["service": "web"]

    /// Each transition as `labels: from→to`, for comparing whole evaluations at once.
    static func steps(_ transitions: [AlertStates.Transition]) -> [String] {
        transitions.map { "\($0.alert.labels["service"] ?? "?"): \($0.from?.rawValue ?? "new")→\($0.to?.rawValue ?? "dropped")" }
    }

    @Test func withoutAForAnAlertFiresAtOnceAndResolvesWhenMissing() {
        var states = AlertStates(holdFor: 0, resolvedKept: 15 * Self.minute)
        #expect(Self.steps(states.evaluate([Self.api: 5], at: 0)) == ["api: new→pending", "api: pending→firing"])
        #expect(states.alerts[Self.api]?.firedAt == 0)
        #expect(Self.steps(states.evaluate([Self.api: 7], at: Self.minute)).isEmpty)
        #expect(states.alerts[Self.api]?.value == 7, "the value follows the evaluations")
        let resolved = states.evaluate([:], at: 2 * Self.minute)
        #expect(Self.steps(resolved) == ["api: firing→resolved"])
        #expect(resolved[0].alert.resolvedAt == 2 * Self.minute && resolved[0].alert.value == 7)
        // Kept resolved for a while (its resolution may be sent again), then dropped without a word.
        #expect(Self.steps(states.evaluate([:], at: 10 * Self.minute)).isEmpty && states.alerts[Self.api]?.state == .resolved)
        #expect(Self.steps(states.evaluate([:], at: 17 * Self.minute)).isEmpty && states.alerts[Self.api] == nil)
    }

    @Test func anAlertIsPendingForItsForThenFires() {
        var states = AlertStates(holdFor: 2 * Self.minute)
        let table: [(at: Int64, returned: [[String: String]: Double], expected: [String])] = [
            (0, [Self.api: 1], ["api: new→pending"]),
            (Self.minute, [Self.api: 1], []),
            (2 * Self.minute - 1, [Self.api: 1], []),
            (2 * Self.minute, [Self.api: 1], ["api: pending→firing"]),
            (3 * Self.minute, [Self.api: 1], []),
            (4 * Self.minute, [:], ["api: firing→resolved"]),
        ]
        for row in table { #expect(Self.steps(states.evaluate(row.returned, at: row.at)) == row.expected, "at \(row.at)") }
        #expect(states.alerts[Self.api]?.activeAt == 0 && states.alerts[Self.api]?.firedAt == 2 * Self.minute)
    }

    /// A pending alert that goes missing never fired: it is dropped, nothing resolves, and its return starts over.
    @Test func aPendingAlertThatGoesMissingIsDroppedAndStartsOver() {
        var states = AlertStates(holdFor: 5 * Self.minute)
        #expect(Self.steps(states.evaluate([Self.api: 1], at: 0)) == ["api: new→pending"])
        #expect(Self.steps(states.evaluate([:], at: 4 * Self.minute)) == ["api: pending→dropped"])
        #expect(states.alerts.isEmpty)
        #expect(Self.steps(states.evaluate([Self.api: 1], at: 5 * Self.minute)) == ["api: new→pending"])
        #expect(Self.steps(states.evaluate([Self.api: 1], at: 9 * Self.minute)).isEmpty, "its for counts from its return")
        #expect(Self.steps(states.evaluate([Self.api: 1], at: 10 * Self.minute)) == ["api: pending→firing"])
    }

    /// Flapping: each return after a resolution is a new alert that waits its `for` again.
    @Test func aFlappingAlertWaitsItsForEachTime() {
        var states = AlertStates(holdFor: Self.minute)
        var seen: [String] = []
        for (index, present) in [true, true, false, true, false, true, true].enumerated() {
            seen += Self.steps(states.evaluate(present ? [Self.api: 1] : [:], at: Int64(index) * Self.minute))
        }
        #expect(seen == [
            "api: new→pending", "api: pending→firing", "api: firing→resolved", "api: new→pending", "api: pending→dropped",
            "api: new→pending", "api: pending→firing",
        ])
    }

    /// With `keep_firing_for`, a firing alert missing from evaluations stays firing that long; back in time, it goes on
    /// as the same alert.
    @Test func keepFiringForHoldsAFiringAlertThroughGaps() {
        var states = AlertStates(holdFor: 0, keepFiringFor: 3 * Self.minute)
        _ = states.evaluate([Self.api: 1], at: 0)
        #expect(Self.steps(states.evaluate([:], at: Self.minute)).isEmpty)
        #expect(Self.steps(states.evaluate([Self.api: 2], at: 2 * Self.minute)).isEmpty, "back in time: the same alert")
        #expect(states.alerts[Self.api]?.firedAt == 0 && states.alerts[Self.api]?.state == .firing)
        #expect(Self.steps(states.evaluate([:], at: 4 * Self.minute)).isEmpty)
        #expect(Self.steps(states.evaluate([:], at: 5 * Self.minute - 1)).isEmpty)
        #expect(Self.steps(states.evaluate([:], at: 5 * Self.minute)) == ["api: firing→resolved"])
        // A pending alert is not kept: keep_firing_for is for firing ones.
        var pending = AlertStates(holdFor: 10 * Self.minute, keepFiringFor: 3 * Self.minute)
        _ = pending.evaluate([Self.api: 1], at: 0)
        #expect(Self.steps(pending.evaluate([:], at: Self.minute)) == ["api: pending→dropped"])
    }

    /// One alert per label set: each goes its own way, and an evaluation's transitions come in label order.
    @Test func labelSetsComeAndGoOnTheirOwn() {
        var states = AlertStates(holdFor: Self.minute)
        #expect(Self.steps(states.evaluate([Self.web: 1, Self.api: 1], at: 0)) == ["api: new→pending", "web: new→pending"])
        #expect(Self.steps(states.evaluate([Self.web: 1], at: Self.minute)) == ["api: pending→dropped", "web: pending→firing"])
        #expect(Self.steps(states.evaluate([Self.web: 1, Self.api: 3], at: 2 * Self.minute)) == ["api: new→pending"])
        #expect(Self.steps(states.evaluate([Self.api: 3], at: 3 * Self.minute)) == ["api: pending→firing", "web: firing→resolved"])
        #expect(states.alerts.count == 2)
    }

    /// Times from anywhere (a clock gone wrong, a rule file's durations) never trap.
    @Test func extremeTimesDoNotTrap() {
        var states = AlertStates(holdFor: .max, keepFiringFor: .max, resolvedKept: .max)
        _ = states.evaluate([Self.api: 1], at: .min)
        #expect(Self.steps(states.evaluate([Self.api: 1], at: .max)).isEmpty, "the difference overflows: not held long enough")
        var quick = AlertStates(holdFor: -5)
        #expect(Self.steps(quick.evaluate([Self.api: 1], at: .max)) == ["api: new→pending", "api: pending→firing"])
        #expect(Self.steps(quick.evaluate([:], at: .min)) == ["api: firing→resolved"])
        _ = quick.evaluate([:], at: .max)
    }
}

/// What an Alertmanager is sent, as Prometheus decides it, and alerts put back after a restart.
struct AlertStatesSendingTests {
    static let minute: Int64 = 60_000_000
    static let api = ["service": "api"]

    @Test func firingIsSentAtOnceThenEveryResendDelayAndAResolutionAtOnce() {
        var states = AlertStates(holdFor: Self.minute)
        _ = states.evaluate([Self.api: 1], at: 0)
        #expect(states.sendable(at: 0, resendDelay: Self.minute).isEmpty, "pending is never sent")
        _ = states.evaluate([Self.api: 1], at: Self.minute)
        #expect(states.sendable(at: Self.minute, resendDelay: Self.minute).map(\.state) == [.firing])
        #expect(states.sendable(at: Self.minute + 1, resendDelay: Self.minute).isEmpty, "not again before the resend delay")
        #expect(states.sendable(at: 2 * Self.minute, resendDelay: Self.minute).map(\.state) == [.firing])
        _ = states.evaluate([:], at: 2 * Self.minute + 5)
        #expect(states.sendable(at: 2 * Self.minute + 5, resendDelay: Self.minute).map(\.state) == [.resolved], "a resolution does not wait")
        #expect(states.sendable(at: 2 * Self.minute + 6, resendDelay: Self.minute).isEmpty)
        #expect(states.sendable(at: 3 * Self.minute + 5, resendDelay: Self.minute).map(\.state) == [.resolved], "and is sent again while kept")
    }

    @Test func restoredAlertsCarryOnWithoutFiringAgain() {
        var before = AlertStates(holdFor: Self.minute)
        _ = before.evaluate([Self.api: 1], at: 0)
        _ = before.evaluate([Self.api: 1], at: Self.minute)
        _ = before.sendable(at: Self.minute, resendDelay: Self.minute)
        var after = AlertStates(holdFor: Self.minute, restoring: Array(before.alerts.values))
        #expect(after.evaluate([Self.api: 2], at: 2 * Self.minute).isEmpty, "still firing: no transition")
        #expect(after.sendable(at: 2 * Self.minute - 1, resendDelay: Self.minute).isEmpty, "the last send is remembered")
        #expect(after.evaluate([:], at: 3 * Self.minute).map(\.to) == [.resolved])

        // A pending alert keeps the time it became active: it fires when its `for` is up, not a `for` after the restart.
        var pending = AlertStates(holdFor: 2 * Self.minute)
        _ = pending.evaluate([Self.api: 1], at: 0)
        var restored = AlertStates(holdFor: 2 * Self.minute, restoring: Array(pending.alerts.values))
        #expect(restored.evaluate([Self.api: 1], at: 2 * Self.minute).map(\.to) == [.firing])
    }
}
