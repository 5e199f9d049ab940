import Foundation
import Hummingbird
import Keel
import KeelWire
import KeelStore

/// A read request's filters (``EventQueryParameters``), from its query string.
enum ReadParameters {
    static func query(_ request: Request, tenant: String, now: Int64 = Timestamp.now().microsecondsSinceEpoch) throws(EventQueryParameters.Invalid) -> EventQuery {
        let pairs = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        return try EventQueryParameters.query(pairs, tenant: tenant, now: now)
    }
}

extension KeelServer {
    /// Checks credentials and reads the filters, then answers with `handler`; or answers the refusal (401, 403, or
    /// 400 for a bad parameter) itself. What every read endpoint starts with.
    func reading(
        _ request: Request, needs role: Role = .read,
        _ handler: (Request, Principal, EventQuery) async -> Response
    ) async -> Response {
        let named = request.uri.queryParameters["tenant"].map(String.init)
        let principal: Principal
        do {
            principal = try authenticator.principal(request.headers, tenant: named, needs: role)
        } catch {
            return Self.refusal(error)
        }
        let query: EventQuery
        do {
            query = try ReadParameters.query(request, tenant: principal.tenant)
        } catch {
            return Self.error(.badRequest, "invalid_parameter", error.message)
        }
        return await handler(request, principal, query)
    }
}
