import Foundation
import Keel
import KeelTools
import Testing

/// Scores `keel redact`'s engine on the labelled corpus in `../shared/redaction/` with its own scorer, and fails
/// below the figures issue 3 sets: overall recall ≥ 99.5 %, every PII type ≥ 99 %, secret keys 100 %, traps
/// destroyed ≤ 0.5 %.
struct RedactionCorpusTests {
    static let shared: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared/redaction")
    }()

    /// The corpus lives in the project's shared folder beside the repository (as in CI). Missing, the test fails
    /// rather than skip, so that a CI set-up without it cannot pass unnoticed.
    @Test func theCorpusScoresAboveTheRequiredFigures() throws {
        let corpus = Self.shared.appendingPathComponent("dev-corpus.jsonl")
        guard FileManager.default.fileExists(atPath: corpus.path),
            FileManager.default.fileExists(atPath: Self.shared.appendingPathComponent("score.py").path)
        else {
            throw TestFailure("the redaction corpus and scorer are expected at \(Self.shared.path) (../shared/redaction)")
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("keel-redacted-\(UUID()).jsonl")
        defer { try? FileManager.default.removeItem(at: out) }
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        let stream = RedactStream(redactor: Redactor(), fd: handle.fileDescriptor)
        for line in try String(contentsOf: corpus, encoding: .utf8).split(separator: "\n") {
            // The redactor sees only the event, as an application's log line.
            guard case .object = try JSONParser.parse(String(line)), let event = try JSONParser.parse(String(line))["event"]
            else { throw TestFailure("corpus line without an event") }
            var text = event.jsonText
            text.withUTF8 { stream.handle(UnsafeRawBufferPointer($0)) }
        }
        stream.flush()
        try handle.close()

        let scorer = Process()
        scorer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("keel-score-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: json) }
        scorer.arguments = [
            "python3", Self.shared.appendingPathComponent("score.py").path, corpus.path, out.path, "--json", json.path,
        ]
        let pipe = Pipe()
        scorer.standardOutput = pipe
        try scorer.run()
        let report = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        scorer.waitUntilExit()
        #expect(scorer.terminationStatus == 0, "scorer failed: \(report)")

        let figures = try JSONParser.parse(Array(try Data(contentsOf: json)))
        func number(_ value: JSONValue?) -> Double? { value?.doubleValue }
        let recall = try #require(number(figures["recall"]), "no recall in: \(report)")
        let fpRate = try #require(number(figures["fp_rate"]))
        let secretKeys = try #require(number(figures["secret_key_recall"]))
        #expect(recall >= 0.995, "overall recall \(recall)\n\(report)")
        #expect(fpRate <= 0.005, "traps destroyed \(fpRate)\n\(report)")
        #expect(secretKeys == 1.0, "secret keys \(secretKeys)\n\(report)")
        // Every PII type but PERSON (names are not pattern-detectable; informational in the scorer) at 99 % or better.
        guard case .object(let types)? = figures["pii"] else { throw TestFailure("no per-type figures") }
        #expect(types.count >= 10)
        for (type, row) in types where type != "PERSON" {
            let typeRecall = try #require(number(row["recall"]))
            #expect(typeRecall >= 0.99, "\(type) recall \(typeRecall)")
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
