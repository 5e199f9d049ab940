// A service-shaped process for the shipping soak (Tests/Soak/ship_soak.py): Keel bootstrapped from the environment
// (LOG_SHIP_URL, LOG_SHIP_TOKEN, LOG_SHIP_SPOOL_DIR, as a service sets them), EVENTS events logged at an even pace
// over SECONDS seconds, each with a unique `seq`, every logging call timed; then it waits (up to WAIT seconds) for the
// server to have every line and writes a JSON report: per second the calls' p50/p99/max and the RSS, the peak RSS,
// the sink's counts and whether everything was delivered.
//   keel-soak-logger EVENTS SECONDS WAIT REPORT
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Keel
import KeelShipping
import Logging

let arguments = CommandLine.arguments
guard arguments.count == 5, let events = Int(arguments[1]), let seconds = Int(arguments[2]), let wait = Int(arguments[3]),
    events > 0, seconds > 0
else {
    FileHandle.standardError.write(Data("usage: keel-soak-logger EVENTS SECONDS WAIT REPORT\n".utf8))
    exit(2)
}

/// A line of /proc/self/status in kB (VmRSS, VmHWM).
func status(_ field: String) -> Int {
    let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }
    return 0
}

var configuration = try KeelConfiguration.fromEnvironment()
configuration.console = nil
configuration.service = "soak"
guard let sink = try configuration.addShipping(fromEnvironment: nil) else {
    FileHandle.standardError.write(Data("keel-soak-logger: set LOG_SHIP_URL\n".utf8))
    exit(2)
}
try Keel.bootstrap(configuration)
let logger = Logger(label: "soak")

struct Second: Codable {
    var second: Int
    var calls: Int
    var p50Nanoseconds: Int
    var p99Nanoseconds: Int
    var maxNanoseconds: Int
    var rssKilobytes: Int
}
var perSecond: [Second] = []
let start = ContinuousClock.now
let ticksPerSecond = 100
var logged = 0
var durations: [Int] = []
for tick in 0..<(seconds * ticksPerSecond) {
    let due = events * (tick + 1) / (seconds * ticksPerSecond)
    while logged < due {
        let before = DispatchTime.now().uptimeNanoseconds
        logger.info(
            "soak event", metadata: ["event": "soak.event", "seq": "\(logged)", "request_id": "req-\(logged % 5000)", "route": "/v1/chat/completions"])
        durations.append(Int(DispatchTime.now().uptimeNanoseconds - before))
        logged += 1
    }
    if (tick + 1) % ticksPerSecond == 0 {
        durations.sort()
        perSecond.append(Second(
            second: (tick + 1) / ticksPerSecond - 1, calls: durations.count, p50Nanoseconds: durations.isEmpty ? 0 : durations[durations.count / 2],
            p99Nanoseconds: durations.isEmpty ? 0 : durations[min(durations.count - 1, durations.count * 99 / 100)],
            maxNanoseconds: durations.last ?? 0, rssKilobytes: status("VmRSS")))
        durations.removeAll(keepingCapacity: true)
    }
    let next = start + .milliseconds((tick + 1) * 1000 / ticksPerSecond)
    if ContinuousClock.now < next { try await Task.sleep(until: next, clock: .continuous) }
}

Keel.flush()
let waitStart = ContinuousClock.now
let delivered = await sink.delivered(within: .seconds(wait))
let waited = ContinuousClock.now - waitStart

struct Report: Codable {
    var events: Int
    var delivered: Bool
    var waitedSeconds: Double
    var peakRSSKilobytes: Int
    var sent: Int
    var retried: Int
    var dropped: Int
    var duplicates: Int
    var pending: Int
    var deliveryP99Milliseconds: Int?
    var seconds: [Second]
}
let statistics = sink.statistics
let report = Report(
    events: logged, delivered: delivered, waitedSeconds: Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18,
    peakRSSKilobytes: status("VmHWM"), sent: statistics.sent, retried: statistics.retried, dropped: statistics.dropped,
    duplicates: statistics.duplicates, pending: sink.pendingLines, deliveryP99Milliseconds: sink.latency.quantile(0.99), seconds: perSecond)
let encoder = JSONEncoder()
encoder.keyEncodingStrategy = .convertToSnakeCase
try encoder.encode(report).write(to: URL(fileURLWithPath: arguments[4]))
Keel.shutdown(deadline: .seconds(1))
exit(delivered ? 0 : 1)
