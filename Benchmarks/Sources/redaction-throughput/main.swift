// Redaction throughput on one core: `redaction-throughput CORPUS.jsonl [SECONDS] [ONLY]`.
//
// Two ways, each on the corpus events and on W1 events (shared/bench/STANDARD.md), default policy:
// - lines: JSON text in, redacted JSON text out (`Redactor.redactJSON`), as `keel redact` and ingest run it —
//   parsing and writing included (through the public API, which returns a new `String` per line);
// - trees: an already parsed `JSONValue` in, a redacted tree out (`Redactor.redact`), as the library runs it on
//   values it holds.
// Prints events/s for each (median of five rounds).
import Foundation
import Keel

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: redaction-throughput CORPUS.jsonl [SECONDS] [ONLY]\n".utf8))
    exit(2)
}
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 5 : 5
// One measurement only, for profiling (`valgrind --tool=callgrind … "corpus lines"`).
let only = arguments.count > 3 ? arguments[3] : nil

let corpusTrees = try String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n").map { line in
    try JSONParser.parse(String(line))["event"]!
}
let corpusLines = corpusTrees.map(\.jsonText)
let w1Lines: [String] = (0..<1000).map { n in
    let id = String(repeating: "0", count: 26 - String(n).count) + String(n)
    return #"{"timestamp":"2026-11-22T21:57:23.712989Z","level":"INFO","message":"request handled","request_id":"\#(id)","tenant_id":"tenant_42","route":"/v1/chat/completions","status":200,"duration_ms":12.5,"user_id":"user_789","model":"gpt-4o-mini","tokens_prompt":512,"tokens_response":128,"retryable":false}"#
}
let w1Trees = try w1Lines.map { try JSONParser.parse($0) }

/// Runs `body` over `count` events repeatedly, in five rounds of about `seconds` / 5 each; prints the median
/// round's events/s with the slowest and fastest (this machine is shared: single rounds vary by ±20 %).
func measure(_ name: String, count: Int, _ body: () -> Int) {
    if let only, only != name { return }
    let clock = ContinuousClock()
    var rates: [Double] = []
    var changed = 0
    for _ in 0..<5 {
        var processed = 0
        let start = clock.now
        while clock.now - start < .seconds(seconds / 5) {
            changed = body()
            processed += count
        }
        let elapsed = clock.now - start
        rates.append(Double(processed) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
    }
    rates.sort()
    print("\(name): \(Int(rates[2])) events/s on one core, median of 5 rounds (\(Int(rates[0]))–\(Int(rates[4]))); \(changed) of \(count) events changed")
}

let redactor = Redactor()

func lines(_ lines: [String]) -> Int {
    var changed = 0
    for line in lines where !(try! redactor.redactJSON(line)).redacted.isEmpty { changed += 1 }
    return changed
}

func trees(_ trees: [JSONValue]) -> Int {
    var changed = 0
    for tree in trees where redactor.redact(tree).changed { changed += 1 }
    return changed
}

measure("corpus lines", count: corpusLines.count) { lines(corpusLines) }
measure("corpus trees", count: corpusTrees.count) { trees(corpusTrees) }
measure("W1 lines", count: w1Lines.count) { lines(w1Lines) }
measure("W1 trees", count: w1Trees.count) { trees(w1Trees) }
