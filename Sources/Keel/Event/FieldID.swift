/// Every canonical field of schema v1, in output order.
///
/// The case order *is* the key order of every line Keel writes: the encoder walks fields by raw value.
/// Names, types and meanings live in ``FieldCatalogue``; this enum is only the identity and the order.
public enum FieldID: UInt8, CaseIterable, Sendable, Comparable {
    // envelope
    case timestamp, level, message, event, logger, component, service, env, version, host, pid
    case schemaVersion, eventID, storageClass, truncated
    // correlation
    case requestID, traceID, spanID, parentSpanID
    // scope
    case tenantID, projectID, appID, surface, userID, sessionID
    // run
    case runID, flowID, stepID
    // http
    case method, route, status, durationMS, bytesIn, bytesOut
    // model / usage
    case provider, model, tokensPrompt, tokensResponse, costUSD
    // worker
    case workerID, workerState, restartCount, backoffMS, exitCode, maintenanceMode
    // outcome
    case errorCode, retryable, error
    // source
    case source
    // free
    case context
    // what redaction removed
    case redacted
    // audit only
    case seq, prevHash, hash

    public static func < (lhs: FieldID, rhs: FieldID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The number of canonical fields; sizes fixed per-event slot tables.
    public static let count = FieldID.allCases.count

    /// The field with raw value `raw`, which must be below ``count``: without the range switch of `init(rawValue:)`,
    /// for the encoder's loops over field bit masks. (The cases have implicit raw values 0, 1, 2 … in declaration
    /// order, which is also how Swift numbers them, so the raw value is the enum's own representation.)
    @inline(__always)
    static func unchecked(_ raw: UInt8) -> FieldID {
        assert(Int(raw) < count && FieldID(rawValue: raw) != nil)
        return unsafeBitCast(raw, to: FieldID.self)
    }
}
