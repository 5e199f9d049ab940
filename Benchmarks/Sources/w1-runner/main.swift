// Whole-process W1: `w1-runner HANDLER OUTPUT [EVENTS]` logs EVENTS (default 1,000,000) W1 events on one thread
// through HANDLER to OUTPUT and exits. Time and peak RSS are measured from outside (scripts/bench-w1.sh), as
// shared/bench/PEERS.md measured the other loggers.
//
// HANDLER: keel | keel-noredact | stream (swift-log StreamLogHandler) | foundation (JSONSerialization) | noop | iterate (read the
// metadata, nothing else) | loop (no logging) | keel-async, keel-async-4threads (W1-async and W1-4threads: the
// background pipeline into a file rotated every 64 MiB; they print the calling threads' time per event and the
// end-to-end rate, close included, to stderr) | keel-async-paced (W1-async at a pace the writer keeps up with:
// bursts of 200 events, each followed by a wait for the writer; prints the calling thread's time per event, which
// is what a service pays per log call when its queue is not under pressure) | noop-paced (the same bursts through
// swift-log's API alone: the baseline for keel-async-paced)
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Keel
import Synchronization
import Logging
import W1Workload

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: w1-runner keel|stream|foundation|noop|loop OUTPUT [EVENTS]\n".utf8))
    exit(2)
}
let handler = arguments[1]
let output = arguments[2]
let events = arguments.count > 3 ? Int(arguments[3]) ?? 1_000_000 : 1_000_000

var sink = 0
switch handler {
case "keel":
    let pipeline = try W1.keelPipeline(path: output)
    let logger = W1.keelLogger(pipeline)
    for n in 0..<events { W1.log(logger, n) }
    pipeline.close()
case "keel-noredact":
    // The same pipeline with redaction switched off: the difference is what redaction costs a W1 call.
    let pipeline = try W1.keelPipeline(path: output, redaction: nil)
    let logger = W1.keelLogger(pipeline)
    for n in 0..<events { W1.log(logger, n) }
    pipeline.close()
case "keel-async", "keel-async-4threads":
    let threads = handler == "keel-async" ? 1 : 4
    let pipeline = try W1.keelPipeline(path: output, delivery: .background, rotation: FileRotation(maxBytes: 64 << 20))
    let logger = W1.keelLogger(pipeline)
    let clock = ContinuousClock()
    let start = clock.now
    let callerNanos = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let begin = clock.now
        for n in stride(from: t, to: events, by: threads) { W1.log(logger, n) }
        let spent = clock.now - begin
        callerNanos.add(Int(spent.components.seconds * 1_000_000_000 + spent.components.attoseconds / 1_000_000_000), ordering: .relaxed)
    }
    pipeline.close()
    let total = clock.now - start
    let totalSeconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
    FileHandle.standardError.write(Data(("caller ns/event (per thread): \(callerNanos.load(ordering: .relaxed) / events)\n"
        + "end to end, close included: \(Int(Double(events) / totalSeconds)) events/s, dropped \(pipeline.diagnostics.dropped)\n").utf8))
case "keel-async-paced", "noop-paced":
    // The same bursts through swift-log's API alone (`noop-paced`): the baseline for the caller's time, measured
    // the same way.
    let pipeline = try W1.keelPipeline(path: output, delivery: .background, rotation: FileRotation(maxBytes: 64 << 20))
    let logger = handler == "noop-paced" ? Logger(label: "w1") { _ in NoOpLogHandler() } : W1.keelLogger(pipeline)
    let clock = ContinuousClock()
    var spent = Duration.zero
    var n = 0
    while n < events {
        let burst = min(200, events - n)
        let begin = clock.now
        for k in n..<(n + burst) { W1.log(logger, k) }
        spent += clock.now - begin
        n += burst
        pipeline.flush()
    }
    pipeline.close()
    let nanos = Int(spent.components.seconds * 1_000_000_000 + spent.components.attoseconds / 1_000_000_000)
    FileHandle.standardError.write(Data("\(handler): caller ns/event: \(nanos / events), dropped \(pipeline.diagnostics.dropped)\n".utf8))
case "stream":
    // StreamLogHandler writes to stdio with fwrite + fflush per line; point stderr at the output file.
    let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    dup2(fd, 2)
    let logger = Logger(label: "w1") { StreamLogHandler.standardError(label: $0) }
    for n in 0..<events { W1.log(logger, n) }
case "foundation":
    _ = FileManager.default.createFile(atPath: output, contents: nil)
    let file = FileHandle(forWritingAtPath: output)!
    let logger = Logger(label: "w1") { FoundationJSONLogHandler(label: $0, output: file) }
    for n in 0..<events { W1.log(logger, n) }
    try file.close()
case "noop":
    let logger = Logger(label: "w1") { _ in NoOpLogHandler() }
    for n in 0..<events { W1.log(logger, n) }
case "iterate":
    // Reading the ten metadata entries and nothing else: the floor for a handler of `Logger.Metadata`.
    let logger = Logger(label: "w1") { _ in IterateOnlyLogHandler() }
    for n in 0..<events { W1.log(logger, n) }
case "loop":
    // The empty loop: building the request id only.
    for n in 0..<events { sink &+= W1.requestID(n).utf8.count }
default:
    FileHandle.standardError.write(Data("unknown handler \(handler)\n".utf8))
    exit(2)
}
if sink == 42 { print("") }
