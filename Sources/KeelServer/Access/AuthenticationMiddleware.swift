import HTTPTypes
import Hummingbird
import Logging

/// Checks every request of a route group for a token that allows ``role`` and puts the ``Principal`` (tenant,
/// role) in the context; a request without one is answered 401 or 403 here and never reaches a handler. Each area's
/// group has one (ingest, read, lifecycle, operations), so a new endpoint cannot forget authentication.
///
/// The tenant is the token's; an admin token may name another with `X-Scope-OrgID` or a `tenant` query parameter.
///
/// A request without an `Authorization` header may carry the web UI's session cookie instead (``SessionStore``): it
/// stands for the token signed in with, which is checked as if it had been sent, and a request other than `GET` or
/// `HEAD` must also send the session's CSRF token.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    let authenticator: Authenticator
    let role: Role
    var sessions: SessionStore?
    /// Told of each refusal (the ingest group counts them in its metrics).
    var refused: @Sendable (Authenticator.Refusal) -> Void = { _ in }

    func handle(
        _ request: Request, context: ServerRequestContext, next: (Request, ServerRequestContext) async throws -> Response
    ) async throws -> Response {
        let named = request.uri.queryParameters["tenant"].map(String.init)
        var context = context
        do throws(Authenticator.Refusal) {
            context.principal = try authenticator.principal(try credentials(request), tenant: named, needs: role)
        } catch {
            refused(error)
            return KeelServer.refusal(error)
        }
        return try await next(request, context)
    }

    /// The request's headers, with the token of its session as its `Authorization` when it came with a session
    /// cookie and no `Authorization` of its own.
    private func credentials(_ request: Request) throws(Authenticator.Refusal) -> HTTPFields {
        guard request.headers[.authorization] == nil, let sessions, let id = SessionStore.sessionID(in: request.headers[.cookie]) else {
            return request.headers
        }
        guard let session = sessions.session(id) else {
            throw Authenticator.Refusal(status: .unauthorized, message: "the session has ended: sign in again")
        }
        if request.method != .get, request.method != .head {
            let sent = request.headers[SessionStore.csrfHeader] ?? ""
            guard SessionStore.same(sent, session.csrf) else {
                throw Authenticator.Refusal(status: .forbidden, message: "send the session's CSRF token in X-Keel-CSRF")
            }
        }
        var headers = request.headers
        headers[.authorization] = "Bearer " + session.token
        return headers
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
