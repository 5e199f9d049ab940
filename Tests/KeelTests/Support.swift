import Foundation
import Keel
import KeelTesting
import Logging
import Testing

/// Parses a line with Foundation's JSONSerialization: an independent, real JSON parser.
func parseWithFoundation(_ line: String) throws -> [String: Any] {
    let data = Data(line.utf8)
    let object = try JSONSerialization.jsonObject(with: data, options: [])
    guard let dict = object as? [String: Any] else { throw TestFailure("not an object: \(line)") }
    return dict
}

/// Whether two values decoded from / meant as JSON are equal, compared as canonical JSON text.
func sameJSON(_ a: Any, _ b: Any) throws -> Bool {
    func text(_ v: Any) throws -> Data { try JSONSerialization.data(withJSONObject: [v], options: [.sortedKeys]) }
    return try text(a) == text(b)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The keys of a JSON object line, in the order they appear (top level only).
func topLevelKeys(_ line: String) throws -> [String] {
    guard case .object(let members) = try JSONParser.parse(line) else { throw TestFailure("not an object") }
    return members.map(\.key)
}

extension TestLogging {
    /// The only line written, parsed by Foundation.
    func onlyEvent() throws -> [String: Any] {
        let lines = sink.lines
        guard lines.count == 1 else { throw TestFailure("expected 1 line, got \(lines.count): \(lines)") }
        return try parseWithFoundation(lines[0])
    }
}

/// The repository root, for comparing committed files.
let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url
}()
