@testable import KeelQuery
import Testing

/// Line filters (`|~`) that are plain alternatives are substring searches; each answers as the regex would.
struct LinePatternTests {
    @Test(arguments: [
        ("timeout|refused", "upstream timeout after 3 s", true),
        ("timeout|refused", "connection refused", true),
        ("timeout|refused", "Timeout", false),
        ("(?i)timeout", "upstream TIMEOUT", true),
        ("(?i)timeout|refused", "REFUSED", true),
        ("time out", "time out", true),
        ("a|", "anything at all", true),  // an empty alternative matches everywhere: the regex decides
        ("time.ut", "timeout", true),
        ("^upstream", "an upstream", false),
        ("[0-9]{3} ms", "took 250 ms", true),
    ])
    func aLineFilterMatchesAsItsRegexWould(pattern: String, line: String, expected: Bool) throws {
        let compiled = try LinePattern(pattern)
        let bytes = Array(line.utf8)
        #expect(bytes.withUnsafeBufferPointer { compiled.matches($0) } == expected)
        let regex = try Regex(pattern)
        #expect((try regex.firstMatch(in: line) != nil) == expected, "the test's own expectation is the regex's")
    }
}
