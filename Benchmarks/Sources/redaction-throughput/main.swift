// Redaction throughput on one core: `redaction-throughput CORPUS.jsonl [SECONDS] [corpus|w1]`.
//
// Parses the corpus events once, then redacts them with the default policy for about SECONDS (default 5), and does
// the same with W1 events (shared/bench/STANDARD.md) as JSON trees. Prints events/s for each: the engine's own
// speed, as `keel serve` and `keel redact` use it on parsed events (parsing and writing are not included).
import Foundation
import Keel

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: redaction-throughput CORPUS.jsonl [SECONDS]\n".utf8))
    exit(2)
}
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 5 : 5
// One set only, for profiling (`valgrind --tool=callgrind … corpus`).
let only = arguments.count > 3 ? arguments[3] : nil
let corpus = try String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n").map { line in
    try JSONParser.parse(String(line))["event"]!
}
let w1: [JSONValue] = (0..<1000).map { n in
    let id = String(repeating: "0", count: 26 - String(n).count) + String(n)
    return try! JSONParser.parse(
        #"{"timestamp":"2026-11-22T21:57:23.712989Z","level":"INFO","message":"request handled","request_id":"\#(id)","tenant_id":"tenant_42","route":"/v1/chat/completions","status":200,"duration_ms":12.5,"user_id":"user_789","model":"gpt-4o-mini","tokens_prompt":512,"tokens_response":128,"retryable":false}"#)
}

func measure(_ name: String, _ events: [JSONValue]) {
    let redactor = Redactor()
    var processed = 0
    var changed = 0
    let clock = ContinuousClock()
    let start = clock.now
    while clock.now - start < .seconds(seconds) {
        for event in events {
            if redactor.redact(event).changed { changed += 1 }
        }
        processed += events.count
    }
    let elapsed = clock.now - start
    let perSecond = Double(processed) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    print("\(name): \(Int(perSecond)) events/s on one core (\(processed) events, \(changed) changed)")
}

if only != "w1" { measure("corpus events", corpus) }
if only != "corpus" { measure("W1 events", w1) }
