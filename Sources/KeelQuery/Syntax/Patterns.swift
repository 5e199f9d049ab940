import Keel

/// A regular expression that must match a whole label value (`=~`, `!~`), as Loki anchors label matchers.
///
/// Patterns that are only alternatives of plain words (`ERROR|WARN`, `.+`, `.*`) are decided without the regex
/// engine: they are most of what selectors hold, and Swift's `Regex` is slow to run.
struct LabelPattern: @unchecked Sendable {
    private enum Form {
        case anything
        case nonEmpty
        case alternatives(Set<String>)
        case regex(Regex<AnyRegexOutput>)
    }

    // `Regex` is not `Sendable`; a compiled one is never mutated, and each match makes its own state.
    private let form: Form

    init(_ pattern: String) throws(LogQLError) {
        if pattern == ".*" {
            form = .anything
        } else if pattern == ".+" {
            form = .nonEmpty
        } else if let words = Self.plainAlternatives(pattern) {
            form = .alternatives(words)
        } else {
            do {
                form = .regex(try Regex("^(?:" + pattern + ")$"))
            } catch {
                throw LogQLError("invalid regular expression \(pattern.debugDescription): \(error)", line: 1, column: 1)
            }
        }
    }

    func matches(_ value: String) -> Bool {
        switch form {
        case .anything: true
        case .nonEmpty: !value.isEmpty
        case .alternatives(let words): words.contains(value)
        case .regex(let regex): (try? regex.wholeMatch(in: value)) != nil
        }
    }

    /// The words of `a|b|c` when every one is plain text (letters, digits, `_`, `-`, `/`, space).
    private static func plainAlternatives(_ pattern: String) -> Set<String>? {
        let words = pattern.split(separator: "|", omittingEmptySubsequences: false)
        guard words.allSatisfy({ word in word.utf8.allSatisfy { isPlain($0) } }) else { return nil }
        return Set(words.map(String.init))
    }

    static func isPlain(_ b: UInt8) -> Bool {
        (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D || b == 0x2F || b == 0x20
    }
}

/// A regular expression found anywhere in a line (`|~`, `!~`), unanchored as Loki's line filters are.
///
/// Patterns that are only alternatives of plain text (`timeout`, `timeout|refused`), case-insensitive or not
/// (`(?i)timeout`), are substring searches, as Loki simplifies them: they are most of what line filters hold, and
/// Swift's `Regex` takes microseconds a line.
struct LinePattern: @unchecked Sendable {
    private let literals: [[UInt8]]
    private let foldingCase: Bool
    private let regex: Regex<AnyRegexOutput>?

    init(_ pattern: String) throws(LogQLError) {
        let folding = pattern.hasPrefix("(?i)")
        let words = pattern.dropFirst(folding ? 4 : 0).split(separator: "|", omittingEmptySubsequences: false)
        if words.allSatisfy({ word in !word.isEmpty && word.utf8.allSatisfy { LabelPattern.isPlain($0) } }) {
            literals = words.map { Array($0.utf8) }
            foldingCase = folding
            regex = nil
            return
        }
        literals = []
        foldingCase = false
        do {
            regex = try Regex(pattern)
        } catch {
            throw LogQLError("invalid regular expression \(pattern.debugDescription): \(error)", line: 1, column: 1)
        }
    }

    func matches(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let regex else { return literals.contains { ByteSearch.contains(line, $0, foldingASCIICase: foldingCase) } }
        return (try? regex.firstMatch(in: String(decoding: line, as: UTF8.self))) != nil
    }
}
