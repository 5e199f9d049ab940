import Foundation
import Hummingbird
import Keel
import KeelWire
import KeelStore

/// A read request's filters (``EventQueryParameters``), from its query string; `also` names parameters of the
/// endpoint's own, which are not filters.
enum ReadParameters {
    static func query(
        _ request: Request, tenant: String, also: Set<String> = [], now: Int64 = Timestamp.now().microsecondsSinceEpoch
    ) throws(EventQueryParameters.Invalid) -> EventQuery {
        let pairs = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }.filter { !also.contains($0.name) }
        return try EventQueryParameters.query(pairs, tenant: tenant, now: now)
    }
}

extension KeelServer {
    /// Reads the filters of an authenticated read request, then answers with `handler`; or answers 400 for a bad
    /// parameter. What every read endpoint starts with.
    func reading(
        _ request: Request, _ context: ServerRequestContext, also: Set<String> = [],
        _ handler: (Request, Principal, EventQuery) async -> Response
    ) async -> Response {
        await context.authenticated { principal in
            let query: EventQuery
            do throws(EventQueryParameters.Invalid) {
                query = try ReadParameters.query(request, tenant: principal.tenant, also: also)
            } catch {
                return Self.error(.badRequest, "invalid_parameter", error.message)
            }
            return await handler(request, principal, query)
        }
    }
}
