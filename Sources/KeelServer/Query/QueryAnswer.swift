import Hummingbird
import KeelQuery

extension KeelServer {
    /// Who a query's failure is worded for: Keel's own API (a JSON error with a reason) or Loki's (plain text, which
    /// Grafana shows as it is).
    enum QueryDialect {
        case keel, loki
    }

    /// What a query whose client went away is answered (nobody reads it; the access log does): nginx's 499.
    static let clientClosedRequest = HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")

    /// A query's answer: its JSON text, or its failure as the status and words of `dialect`.
    func answer(_ outcome: Result<String, QueryFailure>, in dialect: QueryDialect) -> Response {
        let status: HTTPResponse.Status
        let reason: String
        let message: String
        switch outcome {
        case .success(let text): return Self.json(.ok, text)
        case .failure(.store(let error)): return storeFailure(error)
        case .failure(.invalid(let error)): (status, reason, message) = (.badRequest, "invalid_query", error.description)
        case .failure(.limit(let text)): (status, reason, message) = (.badRequest, "query_limit", text)
        case .failure(.timeout(let text)): (status, reason, message) = (.gatewayTimeout, "query_timeout", text)
        case .failure(.cancelled): (status, reason, message) = (Self.clientClosedRequest, "query_cancelled", QueryFailure.cancelled.description)
        }
        switch dialect {
        case .keel: return Self.error(status, reason, message)
        case .loki: return Self.lokiError(status, message)
        }
    }
}
