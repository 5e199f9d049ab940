// `ship-load file|ship OUTPUT EVENTS [URL TOKEN SPOOL]`: W1-async through the background pipeline into a file (file),
// or into the same file and a ShippingSink to `keel serve` (ship), in paced bursts of 200 events each followed by a
// wait for the writer (as w1-runner's keel-async-paced: a queue not under pressure). Prints the calling thread's
// time per event; with ship, the delivery latency from the sink's write to the server's acknowledgement (p50, p99,
// max), what was sent and retried. Run by scripts/bench-ship.sh.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Keel
import KeelShipping
import Logging
import W1Workload

let arguments = CommandLine.arguments
guard arguments.count >= 4, ["file", "ship"].contains(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: ship-load file|ship OUTPUT EVENTS [URL TOKEN SPOOL]\n".utf8))
    exit(2)
}
let mode = arguments[1]
let events = Int(arguments[3]) ?? 200_000
var config = KeelConfiguration()
config.delivery = .background
config.fileRotation = FileRotation(maxBytes: 64 << 20)
config.console = nil
config.file = arguments[2]
config.service = "w1"
config.host = "bench"
var shipping: ShippingSink?
if mode == "ship" {
    guard arguments.count >= 7 else { exit(2) }
    // Every line through the disk spool: the sink's costliest set-up.
    var options = ShippingOptions(spoolDirectory: arguments[6])
    options.spoolsOperationalLines = true
    shipping = try ShippingSink(
        destination: ShippingDestination(url: arguments[4], format: .keel, token: arguments[5]), options: options)
    config.extraSinks = [shipping!]
}
let pipeline = try Keel.makePipeline(config)
let logger = W1.keelLogger(pipeline)
let clock = ContinuousClock()
var spent = Duration.zero
var n = 0
let began = clock.now
while n < events {
    let burst = min(200, events - n)
    let start = clock.now
    for k in n..<(n + burst) { W1.log(logger, k) }
    spent += clock.now - start
    n += burst
    // The writer has the burst (the file's lines written, the spool's appended); the shipping sink is not waited for.
    while pipeline.diagnostics.eventsWritten(.ops) + pipeline.diagnostics.dropped < n { usleep(50) }
}
let wall = clock.now - began
let nanos = Int(spent.components.seconds * 1_000_000_000 + spent.components.attoseconds / 1_000_000_000)
var report = "\(mode): caller ns/event \(nanos / events), \(events) events in \(wall)"
if let shipping {
    let deadline = clock.now + .seconds(60)
    while shipping.pendingLines > 0, clock.now < deadline { usleep(10_000) }
    let latency = shipping.latency
    report += ", delivery ms p50 \(latency.quantile(0.5) ?? -1) p99 \(latency.quantile(0.99) ?? -1) max \(latency.quantile(1) ?? -1)"
    report += ", sent \(shipping.statistics.sent), retried \(shipping.statistics.retried), waiting \(shipping.pendingLines)"
}
pipeline.close()
print(report)
