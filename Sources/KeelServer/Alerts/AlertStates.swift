/// The alerts of one alerting rule, as Prometheus keeps them: one per label set its expression returns, each
/// **pending** from the evaluation that first returns it, **firing** once it has been returned for the rule's `for`
/// (at once when `for` is zero), and **resolved** at the first evaluation that no longer returns it — or, with
/// `keep_firing_for`, once it has been missing that long. A pending alert that goes missing is dropped (it never
/// fired, so nothing resolves); a label set that comes back after resolving starts a new alert, pending again.
/// Resolved alerts are kept for ``resolvedKept`` so that their resolution can be sent more than once, then dropped.
///
/// A pure state machine: each evaluation is handed in with its time (microseconds since the epoch), and what changed
/// comes out as ``Transition``s; no clock, no I/O (the evaluator and the notifier do those).
struct AlertStates: Sendable {
    enum State: String, Sendable, Codable {
        case pending, firing, resolved
    }

    struct Alert: Sendable, Equatable, Codable {
        let labels: [String: String]
        var state: State
        /// The expression's value at the last evaluation that returned it.
        var value: Double
        /// When it became pending: Prometheus's `activeAt`.
        let activeAt: Int64
        var firedAt: Int64?
        var resolvedAt: Int64?
        /// The last evaluation that returned it.
        var lastSeenAt: Int64
        /// When it was last handed to the notifier for an Alertmanager (``sendable(at:resendDelay:)``).
        var lastSentAt: Int64?
    }

    /// What an evaluation changed for one alert (each is audited and may be notified).
    struct Transition: Sendable, Equatable {
        let alert: Alert
        /// The state it left: `nil` for a new alert; ``State/pending`` into nothing when a pending alert is dropped.
        let from: State?
        /// `nil` when a pending alert went missing and was dropped.
        let to: State?
    }

    /// The rule's `for`, and its `keep_firing_for`, in microseconds.
    let holdFor: Int64
    let keepFiringFor: Int64
    /// How long a resolved alert is kept (Prometheus: 15 minutes).
    let resolvedKept: Int64
    /// The alerts, by label set.
    private(set) var alerts: [[String: String]: Alert] = [:]

    init(
        holdFor: Int64, keepFiringFor: Int64 = 0, resolvedKept: Int64 = 15 * 60 * 1_000_000, restoring alerts: [Alert] = []
    ) {
        self.holdFor = max(0, holdFor)
        self.keepFiringFor = max(0, keepFiringFor)
        self.resolvedKept = max(0, resolvedKept)
        self.alerts = Dictionary(alerts.map { ($0.labels, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The alerts an Alertmanager is to be sent at `now`, as Prometheus decides it: a firing alert when it was never
    /// sent or `resendDelay` has passed since; a resolved one when it resolved after it was last sent, or
    /// `resendDelay` has passed since (while it is kept). A pending alert is never sent. Marks those returned sent.
    mutating func sendable(at now: Int64, resendDelay: Int64) -> [Alert] {
        var sent: [Alert] = []
        for (labels, var alert) in alerts where alert.state != .pending {
            if let last = alert.lastSentAt {
                let resolvedSince = alert.state == .resolved && (alert.resolvedAt ?? .min) > last
                let (due, overflow) = last.addingReportingOverflow(resendDelay)
                guard resolvedSince || (!overflow && due <= now) else { continue }
            }
            alert.lastSentAt = now
            alerts[labels] = alert
            sent.append(alert)
        }
        return sent.sorted { Self.order($0.labels) < Self.order($1.labels) }
    }

    /// One evaluation at `now`: the label sets the expression returned (those past its threshold), with their values.
    /// Returns the transitions it made, ordered by label set so that the same inputs always give the same output.
    mutating func evaluate(_ returned: [[String: String]: Double], at now: Int64) -> [Transition] {
        var transitions: [Transition] = []
        for (labels, value) in returned {
            guard var alert = alerts[labels], alert.state != .resolved else {
                // New, or back after resolving: a new alert, firing at once when the rule waits for nothing.
                var alert = Alert(labels: labels, state: .pending, value: value, activeAt: now, lastSeenAt: now)
                transitions.append(Transition(alert: alert, from: nil, to: .pending))
                if holdFor == 0 {
                    alert.state = .firing
                    alert.firedAt = now
                    transitions.append(Transition(alert: alert, from: .pending, to: .firing))
                }
                alerts[labels] = alert
                continue
            }
            alert.value = value
            alert.lastSeenAt = now
            // The time since it became active, without trapping on times from anywhere.
            let (held, overflow) = now.subtractingReportingOverflow(alert.activeAt)
            if alert.state == .pending, !overflow, held >= holdFor {
                alert.state = .firing
                alert.firedAt = now
                transitions.append(Transition(alert: alert, from: .pending, to: .firing))
            }
            alerts[labels] = alert
        }
        for (labels, var alert) in alerts where returned[labels] == nil {
            switch alert.state {
            case .pending:
                alerts[labels] = nil
                transitions.append(Transition(alert: alert, from: .pending, to: nil))
            case .firing:
                let (missing, overflow) = now.subtractingReportingOverflow(alert.lastSeenAt)
                if keepFiringFor > 0, !overflow, missing < keepFiringFor { continue }
                alert.state = .resolved
                alert.resolvedAt = now
                alerts[labels] = alert
                transitions.append(Transition(alert: alert, from: .firing, to: .resolved))
            case .resolved:
                let (since, overflow) = now.subtractingReportingOverflow(alert.resolvedAt ?? now)
                if overflow || since >= resolvedKept { alerts[labels] = nil }
            }
        }
        // By label set, and in the order made within one (a new alert's pending comes before its firing).
        return transitions.enumerated()
            .sorted { (Self.order($0.element.alert.labels), $0.offset) < (Self.order($1.element.alert.labels), $1.offset) }
            .map(\.element)
    }

    /// A label set as text that sorts the same way every time.
    private static func order(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
