/// One way a sink or a store breaks the contract its conformance suite checks: which check, and what happened.
/// The suites return these rather than failing a test themselves, so they run under any test framework:
/// `#expect(LogStoreConformance.run { … }.isEmpty)`.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    public let check: String
    public let message: String

    public init(check: String, message: String) {
        self.check = check
        self.message = message
    }

    public var description: String { "\(check): \(message)" }
}

/// Collects a check's failures.
struct ConformanceRecorder {
    let check: String
    var failures: [ConformanceFailure] = []

    mutating func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.append(ConformanceFailure(check: check, message: message())) }
    }

    /// Runs `body`; an error it throws is a failure of the check.
    static func run(_ check: String, _ body: (inout ConformanceRecorder) throws -> Void) -> [ConformanceFailure] {
        var recorder = ConformanceRecorder(check: check)
        do {
            try body(&recorder)
        } catch {
            recorder.failures.append(ConformanceFailure(check: check, message: "threw \(error)"))
        }
        return recorder.failures
    }
}
