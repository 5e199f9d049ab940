package import Logging
import Synchronization

/// Turns a flood of identical events into a few: at most ``limit`` events with the same name per ``interval``; the
/// rest are counted, and the first event let through afterwards carries `suppressed` (under `context`) with how many
/// were left out since.
///
/// "The same name" is the `event` metadata value when there is one, the message otherwise, at the same level.
/// `audit` and `cost` events are never limited.
package final class FloodLimiter: Sendable {
    package let limit: Int
    package let interval: Duration
    private let windows = Mutex<[Key: Window]>([:])

    private struct Key: Hashable {
        let name: String
        let level: Logger.Level
    }

    private struct Window {
        var start: ContinuousClock.Instant
        var count: Int
        var suppressed: Int
    }

    /// At most `limit` events per name every `interval`.
    package init(limit: Int, interval: Duration) {
        precondition(limit > 0, "the flood limit must let at least one event through")
        self.limit = limit
        self.interval = interval
    }

    /// Parses `100/1s`, `10/500ms`, `1000/1m`: a count per interval.
    package convenience init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let limit = Int(parts[0]), limit > 0 else { return nil }
        let unit = parts[1]
        let (number, scale): (Substring, Duration)
        if unit.hasSuffix("ms") {
            (number, scale) = (unit.dropLast(2), .milliseconds(1))
        } else if unit.hasSuffix("s") {
            (number, scale) = (unit.dropLast(), .seconds(1))
        } else if unit.hasSuffix("m") {
            (number, scale) = (unit.dropLast(), .seconds(60))
        } else {
            return nil
        }
        guard let n = Int(number.isEmpty ? "1" : number), n > 0 else { return nil }
        self.init(limit: limit, interval: scale * n)
    }

    package enum Decision: Equatable, Sendable {
        case drop
        /// Let it through; `suppressed` events of this name were left out since the last one that went through.
        case keep(suppressed: Int)
    }

    /// Whether the event goes through. Costs a lock and a dictionary lookup: only installed when configured.
    package func decide(_ event: LogEvent) -> Decision {
        if case .string(let text)? = event.metadata?["storage_class"], text == "audit" || text == "cost" { return .keep(suppressed: 0) }
        let name: String
        if let value = event.metadata?["event"] { name = "event:" + value.description } else { name = "message:" + event.message.description }
        let key = Key(name: name, level: event.level)
        let now = ContinuousClock.now
        return windows.withLock { windows in
            var window = windows[key] ?? Window(start: now, count: 0, suppressed: 0)
            if now - window.start >= interval {
                window.start = now
                window.count = 0
            }
            defer { windows[key] = window }
            guard window.count < limit else {
                window.suppressed += 1
                return .drop
            }
            window.count += 1
            let suppressed = window.suppressed
            window.suppressed = 0
            // Forget quiet names now and then, so that many distinct names do not grow the table forever.
            if windows.count > 10_000 { windows = windows.filter { now - $0.value.start < interval } }
            return .keep(suppressed: suppressed)
        }
    }
}
