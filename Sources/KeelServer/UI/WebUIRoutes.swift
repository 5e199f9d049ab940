import Foundation
import HTTPTypes
import Hummingbird
import Keel
import KeelWire

/// The web UI's routes: the page at `/`, its files at `/ui/assets/<name>`, and sign-in at `/ui/session`. The page
/// reads through the same endpoints as the command line and Grafana (`/v1/query`, `/v1/timeline`, `/v1/tail`…),
/// authenticated by its session cookie (``AuthenticationMiddleware``).
extension KeelServer {
    /// What every answer of the UI carries: scripts and styles from this server only (no inline script, no other
    /// origin), never framed, never sniffed, no referrer sent on.
    static let webUIHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    func addWebUI(to router: RouterGroup<ServerRequestContext>) {
        router.get("/") { request, _ in Self.serve(WebAssets.shared.page, to: request, forever: false) }
        router.get("/ui/assets/:name") { request, context in
            guard let name = context.parameters.get("name"), let asset = WebAssets.shared.assets[name] else {
                return Self.error(.notFound, "not_found", "no such file")
            }
            return Self.serve(asset, to: request, forever: true)
        }
        router.post("/ui/session") { request, _ in await self.signIn(request) }
        router.get("/ui/session") { request, _ in self.currentSession(request) }
        router.delete("/ui/session") { request, _ in self.signOut(request) }
    }

    /// `asset`, gzip-compressed when the browser takes it; kept by the browser for good when its name says its
    /// contents (`forever`), else checked again each time (the page, which names the current build's files).
    private static func serve(_ asset: WebAssets.Asset, to request: Request, forever: Bool) -> Response {
        var headers = webUIHeaders
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = forever ? "public, max-age=31536000, immutable" : "no-cache"
        headers[.vary] = "Accept-Encoding"
        let gzip = (request.headers[.acceptEncoding] ?? "").split(separator: ",").contains {
            $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() == "gzip"
        }
        if gzip { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: gzip ? asset.gzipped : asset.bytes)))
    }

    /// `POST /ui/session` with `{"token":"…"}`: a read or admin token becomes a session (its cookie set), answered
    /// with the session's tenant, role and CSRF token. Only JSON is taken, which a form on another site cannot send.
    private func signIn(_ request: Request) async -> Response {
        guard (request.headers[.contentType] ?? "").lowercased().hasPrefix("application/json") else {
            return Self.error(.unsupportedMediaType, "unsupported_media_type", "send {\"token\":\"…\"} as application/json")
        }
        var request = request
        let token: String
        do {
            let buffer = try await request.collectBody(upTo: 4 << 10)
            let body = try JSONBody.object(Array(buffer.readableBytesView), limits: configuration.limits, what: "the body")
            guard let value = body.first(where: { $0.key == "token" })?.value.stringValue, !value.isEmpty else {
                return Self.error(.badRequest, "invalid_request", "send {\"token\":\"…\"}: a read or admin token")
            }
            token = value
        } catch let error as IngestError {
            return Self.error(error.status, error.reason, error.message)
        } catch {
            return Self.error(.contentTooLarge, "body_too_large", "the body is larger than 4 KiB")
        }
        let principal: Principal
        do throws(Authenticator.Refusal) {
            principal = try authenticator.principal(token: token, needs: .read)
        } catch {
            return Self.refusal(error)
        }
        let (id, csrf) = sessions.start(token: token)
        var response = Self.sessionAnswer(principal, csrf: csrf)
        response.headers[.setCookie] = SessionStore.cookie(id, secure: Self.cameOverTLS(request))
        return response
    }

    /// `GET /ui/session`: who the session's cookie signs in as (or, without tokens, the single tenant's admin).
    private func currentSession(_ request: Request) -> Response {
        if case .insecureSingleTenant = authenticator.mode {
            return Self.sessionAnswer(Principal(tokenID: "insecure", tenant: "default", role: .admin), csrf: "")
        }
        guard let id = SessionStore.sessionID(in: request.headers[.cookie]), let session = sessions.session(id) else {
            return Self.refusal(.init(status: .unauthorized, message: "not signed in"))
        }
        do throws(Authenticator.Refusal) {
            return Self.sessionAnswer(try authenticator.principal(token: session.token, needs: .read), csrf: session.csrf)
        } catch {
            sessions.end(id)
            return Self.refusal(error)
        }
    }

    /// `DELETE /ui/session` (with the session's CSRF token): ends the session and clears its cookie.
    private func signOut(_ request: Request) -> Response {
        if let id = SessionStore.sessionID(in: request.headers[.cookie]), let session = sessions.session(id) {
            guard SessionStore.same(request.headers[SessionStore.csrfHeader] ?? "", session.csrf) else {
                return Self.refusal(.init(status: .forbidden, message: "send the session's CSRF token in X-Keel-CSRF"))
            }
            sessions.end(id)
        }
        var response = Response(status: .noContent, headers: Self.webUIHeaders)
        response.headers[.setCookie] = SessionStore.cookie(nil, secure: Self.cameOverTLS(request))
        return response
    }

    private static func sessionAnswer(_ principal: Principal, csrf: String) -> Response {
        var response = json(
            .ok,
            JSONValue.object([
                ("tenant", .string(principal.tenant)), ("role", .string(principal.role.rawValue)), ("csrf", .string(csrf)),
            ]).jsonText + "\n")
        for field in webUIHeaders { response.headers.append(field) }
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// Whether the browser reached us over TLS, as a proxy in front of `keel serve` says (`keel serve` itself
    /// speaks plain HTTP): its session cookie is then `Secure`.
    private static func cameOverTLS(_ request: Request) -> Bool {
        request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}
