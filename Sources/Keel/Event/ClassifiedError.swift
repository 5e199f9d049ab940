/// An error that tells Keel how to classify it.
///
/// When an error adopting this protocol is passed to a log call (`logger.error("…", error: e)`), the event gets
/// `error_code` and `retryable` from it, unless the call's metadata sets them explicitly.
///
/// ```swift
/// struct UpstreamTimeout: ClassifiedError {
///     var errorCode: String { "upstream_timeout" }
///     var isRetryable: Bool? { true }
/// }
/// ```
public protocol ClassifiedError: Error {
    /// A stable, machine-readable code for grouping and alerting, e.g. `upstream_timeout`.
    var errorCode: String { get }
    /// Whether retrying may succeed; `nil` when unknown.
    var isRetryable: Bool? { get }
}

extension ClassifiedError {
    public var isRetryable: Bool? { nil }
}
