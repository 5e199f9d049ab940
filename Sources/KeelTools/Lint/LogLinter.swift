package import Keel

/// `keel lint`: checks log lines for schema v1 violations and for personal data or secrets, and keeps the tally
/// for the summary. A finding names the line, the kind and the JSON path; a leaked value is never printed.
package final class LogLinter {
    package struct Finding: Sendable, Equatable {
        package enum Kind: Sendable, Equatable {
            case notJSON
            case schema(String)
            case leak(LeakFinder.Leak)
        }
        package let line: Int
        package let kind: Kind

        package var text: String {
            switch kind {
            case .notJSON: "not JSON"
            case .schema(let problem): "schema: \(problem)"
            case .leak(let leak): "leak: \(leak.type.name) at \(leak.path.isEmpty ? "(the line)" : leak.path)"
            }
        }
    }

    package let checksSchema: Bool
    private let schema = SchemaChecker()
    private let finder: LeakFinder
    package private(set) var lines = 0
    /// The line number within the current file.
    private var fileLine = 0
    package private(set) var linesWithFindings = 0
    /// Findings per summary row: `schema`, `not JSON`, or a leak type name.
    package private(set) var tally: [String: Int] = [:]

    package init(policy: RedactionPolicy = .default, checkSchema: Bool = true) {
        self.finder = LeakFinder(policy: policy)
        self.checksSchema = checkSchema
    }

    /// Starts numbering lines from 1 again, for the next file.
    package func startFile() { fileLine = 0 }

    /// Checks one line (without its newline) and returns what it found.
    package func check(_ bytes: UnsafeRawBufferPointer) -> [Finding] {
        lines += 1
        fileLine += 1
        var findings: [Finding] = []
        if let value = try? JSONParser.parse(bytes, options: .init(maxDepth: 128)) {
            if checksSchema {
                findings += schema.problems(in: value).map { Finding(line: fileLine, kind: .schema($0)) }
            }
            findings += finder.leaks(in: value).map { Finding(line: fileLine, kind: .leak($0)) }
        } else {
            if checksSchema { findings.append(Finding(line: fileLine, kind: .notJSON)) }
            let text = String(decoding: bytes, as: UTF8.self)
            findings += finder.leaks(in: .string(text)).map { Finding(line: fileLine, kind: .leak($0)) }
        }
        if !findings.isEmpty { linesWithFindings += 1 }
        for finding in findings {
            switch finding.kind {
            case .notJSON: tally["not JSON", default: 0] += 1
            case .schema: tally["schema", default: 0] += 1
            case .leak(let leak): tally[leak.type.name, default: 0] += 1
            }
        }
        return findings
    }

    /// The summary table, in Markdown.
    package var summary: String {
        var out = "| finding | count |\n| --- | --- |\n"
        for (name, count) in tally.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            out += "| \(name) | \(count) |\n"
        }
        out += "\n\(lines) lines checked, \(linesWithFindings) with findings.\n"
        return out
    }
}
