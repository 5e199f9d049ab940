import Hummingbird
import HTTPTypes
import Keel

/// `error_code` and `retryable` of a request that failed: from the error when it is a ``ClassifiedError``,
/// otherwise from the status — `not_found`, `internal_server_error` … — and whether retrying such a status can help.
struct HTTPFailure {
    let errorCode: String?
    let retryable: Bool?

    init(status: HTTPResponse.Status, error: (any Error)?) {
        if let classified = error as? any ClassifiedError {
            errorCode = classified.errorCode
            retryable = classified.isRetryable
        } else if error is CancellationError {
            errorCode = "cancelled"
            retryable = true
        } else if status.code >= 400 {
            errorCode = Self.code(for: status)
            retryable = Self.retryable(status.code)
        } else {
            errorCode = nil
            retryable = nil
        }
    }

    /// The reason phrase in snake case (`Not Found` → `not_found`); `http_<code>` when there is none.
    static func code(for status: HTTPResponse.Status) -> String {
        var code = ""
        for character in status.reasonPhrase.lowercased() {
            if character.isLetter || character.isNumber {
                code.append(character)
            } else if !code.isEmpty, code.last != "_" {
                code.append("_")
            }
        }
        while code.last == "_" { code.removeLast() }
        return code.isEmpty || !code.allSatisfy(\.isASCII) ? "http_\(status.code)" : code
    }

    /// Statuses that say "try again" (timeouts, rate limits, unavailable) are retryable; other client errors are
    /// not; for other server errors it cannot be known.
    static func retryable(_ code: Int) -> Bool? {
        switch code {
        case 408, 425, 429, 502, 503, 504: true
        case 400..<500: false
        default: nil
        }
    }
}
