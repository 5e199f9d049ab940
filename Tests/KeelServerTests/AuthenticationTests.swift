import Keel
@testable import KeelServer
import Testing

/// One authentication middleware per route group: no endpoint answers without a token of its area's role, and the
/// principal it puts in the context is the one every handler acts for.
@Suite struct AuthenticationTests {
    /// Every endpoint behind a token, with the role its group needs.
    static let endpoints: [(HTTPMethodName, String, Role)] = [
        (.POST, "/v1/events", .ingest), (.POST, "/loki/api/v1/push", .ingest), (.POST, "/v1/logs", .ingest),
        (.GET, "/v1/events", .read), (.GET, "/v1/timeline?request_id=r", .read), (.GET, "/v1/tail", .read),
        (.GET, "/v1/export", .read), (.POST, "/v1/forget", .admin), (.GET, "/metrics", .metrics),
    ]

    @Test func everyEndpointNeedsATokenOfItsRole() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        let metricsToken = try TokenStore(dataDirectory: fixture.directory).create(tenant: "tenant-a", role: .metrics).token
        let tokens: [Role: String] = [.ingest: fixture.ingestA, .read: fixture.readA, .metrics: metricsToken]
        try await fixture.run { client in
            for (method, path, role) in Self.endpoints {
                let name = method
                let anonymous = try await client.send(path, method: name, token: nil, body: Array("{}".utf8), contentType: "application/json")
                #expect(anonymous.status == 401, "\(method) \(path) without a token: \(anonymous.status)")
                #expect(anonymous.header("WWW-Authenticate") == "Bearer realm=\"keel\"")
                let unknown = try await client.send(path, method: name, token: "kl_nonsense", body: Array("{}".utf8), contentType: "application/json")
                #expect(unknown.status == 401, "\(method) \(path) with an unknown token: \(unknown.status)")
                for (other, token) in tokens where other != role {
                    let wrong = try await client.send(path, method: name, token: token, body: Array("{}".utf8), contentType: "application/json")
                    #expect(wrong.status == 403, "\(method) \(path) with a \(other) token: \(wrong.status)")
                }
            }
            // The open route stays open.
            #expect(try await client.send("/healthz", token: nil).status == 200)
        }
    }

    /// An admin acts on another tenant only when it names one, in a header, a parameter or a body; other tokens may
    /// not name one at all.
    @Test func theTenantIsTheTokensUnlessAnAdminNamesAnother() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            _ = try await client.ingest([keelLine("a-1", extra: "\"user_id\":\"u-1\"")], token: fixture.ingestA)
            _ = try await client.ingest([keelLine("b-1", extra: "\"user_id\":\"u-1\"")], token: fixture.ingestB)
            // An ingest token of tenant B cannot write into A.
            let refused = try await client.ingest([keelLine("x-1")], token: fixture.ingestB, headers: [("X-Scope-OrgID", "tenant-a")])
            #expect(refused.status == 403)
            let readOther = try await client.send("/v1/events?tenant=tenant-a&from=2020-01-01T00:00:00Z", token: fixture.readB)
            #expect(readOther.status == 403)
            // The admin of A erases in B by naming it in the body.
            let body = Array(#"{"user_id":"u-1","dry_run":false,"tenant":"tenant-b"}"#.utf8)
            let forgot = try await client.send("/v1/forget", method: .POST, token: fixture.adminA, body: body, contentType: "application/json")
            #expect(forgot.status == 200, "\(forgot.text)")
            #expect(forgot.json?["tenant"]?.stringValue == "tenant-b")
            #expect(try await client.events(token: fixture.readB, query: "from=2020-01-01T00:00:00Z&user_id=u-1").isEmpty)
            #expect(try await client.events(token: fixture.readA, query: "from=2020-01-01T00:00:00Z&user_id=u-1").count == 1)
            // A bad tenant name in the body is a 400, not an erasure somewhere.
            let bad = Array(#"{"user_id":"u-1","tenant":"../etc"}"#.utf8)
            #expect(try await client.send("/v1/forget", method: .POST, token: fixture.adminA, body: bad, contentType: "application/json").status == 400)
        }
    }
}
