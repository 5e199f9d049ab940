import Hummingbird
import Logging

/// Checks every request of a route group for a token that allows ``role`` and puts the ``Principal`` (tenant,
/// role) in the context; a request without one is answered 401 or 403 here and never reaches a handler. Each area's
/// group has one (ingest, read, lifecycle, operations), so a new endpoint cannot forget authentication.
///
/// The tenant is the token's; an admin token may name another with `X-Scope-OrgID` or a `tenant` query parameter.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    let authenticator: Authenticator
    let role: Role
    /// Told of each refusal (the ingest group counts them in its metrics).
    var refused: @Sendable (Authenticator.Refusal) -> Void = { _ in }

    func handle(
        _ request: Request, context: ServerRequestContext, next: (Request, ServerRequestContext) async throws -> Response
    ) async throws -> Response {
        let named = request.uri.queryParameters["tenant"].map(String.init)
        var context = context
        do throws(Authenticator.Refusal) {
            context.principal = try authenticator.principal(request.headers, tenant: named, needs: role)
        } catch {
            refused(error)
            return KeelServer.refusal(error)
        }
        return try await next(request, context)
    }
}

extension ServerRequestContext {
    /// The principal of an authenticated group's request; a handler mounted outside one answers 401, never trusts.
    func authenticated(_ body: (Principal) async -> Response) async -> Response {
        guard let principal else {
            return KeelServer.refusal(.init(status: .unauthorized, message: "send a token: Authorization: Bearer <token>"))
        }
        return await body(principal)
    }
}
