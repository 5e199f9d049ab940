import Foundation
public import HTTPTypes
import KeelStore

/// Turns a request's credentials into a ``Principal``: `Authorization: Bearer <token>`, or the token as the password
/// of HTTP Basic auth (what Promtail and Loki clients send to a hosted Loki; the user name is not checked).
/// `X-Scope-OrgID` picks the tenant for admin tokens only; any other token may send it only with its own tenant.
public struct Authenticator: Sendable {
    public enum Mode: Sendable {
        case tokens(TokenStore)
        /// No credentials: every request is an admin of `default` (or of its `X-Scope-OrgID`). For local
        /// experiments only; the server says so loudly at start.
        case insecureSingleTenant
    }

    public let mode: Mode

    public init(_ mode: Mode) { self.mode = mode }

    public struct Refusal: Error, Equatable {
        public let status: HTTPResponse.Status
        public let message: String
    }

    /// `principal` acting on `tenant` instead, as a request body may ask: the rule of `X-Scope-OrgID` (admin only,
    /// a valid tenant name).
    public func scoped(_ principal: Principal, to tenant: String?) throws(Refusal) -> Principal {
        guard let tenant, tenant != principal.tenant else { return principal }
        guard TenantName.isValid(tenant) else { throw Refusal(status: .badRequest, message: "\(tenant.prefix(64)) is not a valid tenant name") }
        guard principal.role == .admin else { throw Refusal(status: .forbidden, message: "another tenant may be named only with an admin token") }
        return Principal(tokenID: principal.tokenID, tenant: tenant, role: principal.role)
    }

    /// - Parameter tenant: a tenant the request names otherwise (a `tenant` query parameter): the same rule as
    ///   `X-Scope-OrgID`.
    public func principal(_ headers: HTTPFields, tenant named: String? = nil, needs role: Role) throws(Refusal) -> Principal {
        let scope = named ?? headers[HTTPField.Name("X-Scope-OrgID")!]
        if let scope, !TenantName.isValid(scope) {
            throw Refusal(status: .badRequest, message: "X-Scope-OrgID is not a valid tenant name")
        }
        switch mode {
        case .insecureSingleTenant:
            return Principal(tokenID: "insecure", tenant: scope ?? "default", role: .admin)
        case .tokens(let tokens):
            guard let token = Self.token(headers[.authorization]) else {
                throw Refusal(status: .unauthorized, message: "send a token: Authorization: Bearer <token>, or as the Basic auth password")
            }
            let record: TokenStore.Record
            do {
                record = try tokens.record(for: token)
            } catch {
                let message =
                    switch error {
                    case .unknown: "unknown token"
                    case .revoked: "this token was revoked"
                    case .expired: "this token has expired"
                    }
                throw Refusal(status: .unauthorized, message: message)
            }
            guard record.role.allows(role) else {
                throw Refusal(status: .forbidden, message: "this is \(record.role == .ingest || record.role == .admin ? "an" : "a") \(record.role.rawValue) token; this needs \(role.rawValue) (or admin)")
            }
            var tenant = record.tenant
            if let scope, scope != record.tenant {
                guard record.role == .admin else {
                    throw Refusal(status: .forbidden, message: "X-Scope-OrgID is honoured only for admin tokens")
                }
                tenant = scope
            }
            return Principal(tokenID: record.id, tenant: tenant, role: record.role)
        }
    }

    /// The principal of `token` sent alone as a bearer token (what a web UI session stands for).
    func principal(token: String, needs role: Role) throws(Refusal) -> Principal {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer " + token
        return try principal(headers, needs: role)
    }

    static func token(_ authorization: String?) -> String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        switch parts[0].lowercased() {
        case "bearer": return value.isEmpty ? nil : value
        case "basic":
            guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return nil }
            let password = String(text[text.index(after: colon)...])
            return password.isEmpty ? nil : password
        default: return nil
        }
    }
}
