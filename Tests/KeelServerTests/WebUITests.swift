import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Keel
@testable import KeelServer
@testable import KeelWire
import Testing

/// The web UI as the server serves it: its page and files from the binary, under a policy that runs no inline script
/// and nothing from elsewhere; and sign-in, where a token becomes a session cookie that the page can neither read nor
/// send to another site, and that changes nothing without the session's CSRF token.
struct WebUITests {
    static func cookie(_ reply: TestServer.Client.Reply) -> String? {
        reply.header("Set-Cookie")?.split(separator: ";").first.map(String.init)
    }

    @Test func thePageAndItsFilesComeFromTheBinaryUnderAStrictPolicy() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.run { client async throws in
            let page = try await client.send("/", token: nil)
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
            let policy = try #require(page.header("Content-Security-Policy"))
            #expect(policy.contains("default-src 'self'") && policy.contains("script-src 'self'") && !policy.contains("unsafe"))
            #expect(page.header("X-Content-Type-Options") == "nosniff")
            #expect(page.header("Cache-Control") == "no-cache")
            // Scripts only by file, each named by its contents' hash.
            let scripts = page.text.components(separatedBy: "<script").dropFirst()
            #expect(!scripts.isEmpty)
            for script in scripts { #expect(script.hasPrefix(" type=\"module\" src=\"/ui/assets/app.") && script.contains("></script>")) }
            let names = page.text.matches(of: /\/ui\/assets\/([a-z]+\.[0-9a-f]{16}\.(js|css))/).map { String($0.output.1) }
            #expect(Set(names.map { $0.split(separator: ".").last! }) == ["js", "css"])

            // A client that leaves bodies as they come (the tests' shared one asks for gzip and inflates it).
            var configuration = HTTPClient.Configuration()
            configuration.decompression = .disabled
            let raw = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            func fetch(_ path: String, gzip: Bool) async throws -> (encoding: String?, cache: String?, body: [UInt8]) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(client.port)\(path)")
                if gzip { request.headers.add(name: "Accept-Encoding", value: "br, gzip;q=0.8") }
                let response = try await raw.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                return (response.headers.first(name: "Content-Encoding"), response.headers.first(name: "Cache-Control"), Array(body.readableBytesView))
            }
            for name in names {
                let plain = try await fetch("/ui/assets/\(name)", gzip: false)
                #expect(plain.cache == "public, max-age=31536000, immutable")
                #expect(plain.encoding == nil)
                let gzipped = try await fetch("/ui/assets/\(name)", gzip: true)
                #expect(gzipped.encoding == "gzip")
                #expect(gzipped.body.count < plain.body.count)
                #expect(try Decompression.inflate(gzipped.body, limits: IngestLimits()) == plain.body)
            }
            try await raw.shutdown()
            #expect(try await client.send("/ui/assets/app.0000000000000000.js", token: nil).status == 404)
        }
    }

    @Test func aReadTokenSignsInToACookieThePageCannotReadAndSignsOut() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.run { client async throws in
            #expect(try await client.ingest([keelLine("ui-1", message: "seen through a session")], token: server.ingestA).status == 200)
            let json = "application/json"
            let signIn = try await client.send(
                "/ui/session", method: .POST, token: nil, body: Array(#"{"token":"\#(server.readA)"}"#.utf8), contentType: json)
            #expect(signIn.status == 200)
            let setCookie = try #require(signIn.header("Set-Cookie"))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
            #expect(!setCookie.contains("Secure"), "plain HTTP: a Secure cookie would never come back")
            #expect(!setCookie.contains(server.readA), "the cookie is not the token")
            #expect(signIn.json?["tenant"]?.stringValue == "tenant-a")
            #expect(signIn.json?["role"]?.stringValue == "read")
            let csrf = try #require(signIn.json?["csrf"]?.stringValue)
            let cookie = try #require(Self.cookie(signIn))

            // The cookie stands for the token on the read API, and says who it is.
            let events = try await client.send("/v1/events", token: nil, headers: [("Cookie", "other=1; " + cookie)])
            #expect(events.status == 200)
            #expect(events.text.contains("seen through a session"))
            let session = try await client.send("/ui/session", token: nil, headers: [("Cookie", cookie)])
            #expect(session.json?["csrf"]?.stringValue == csrf)
            // A read session cannot write, whatever it sends.
            let write = try await client.send(
                "/v1/events", method: .POST, token: nil, headers: [("Cookie", cookie), ("X-Keel-CSRF", csrf)],
                body: Array(keelLine("ui-2").utf8))
            #expect(write.status == 403)

            // Signing out needs the CSRF token; then the cookie is cleared and no longer works.
            #expect(try await client.send("/ui/session", method: .DELETE, token: nil, headers: [("Cookie", cookie)]).status == 403)
            let signOut = try await client.send("/ui/session", method: .DELETE, token: nil, headers: [("Cookie", cookie), ("X-Keel-CSRF", csrf)])
            #expect(signOut.status == 204)
            #expect(signOut.header("Set-Cookie")?.contains("Max-Age=0") == true)
            #expect(try await client.send("/v1/events", token: nil, headers: [("Cookie", cookie)]).status == 401)
            #expect(try await client.send("/ui/session", token: nil, headers: [("Cookie", cookie)]).status == 401)

            // Behind a TLS proxy the cookie is Secure.
            let overTLS = try await client.send(
                "/ui/session", method: .POST, token: nil, headers: [("X-Forwarded-Proto", "https")],
                body: Array(#"{"token":"\#(server.readA)"}"#.utf8), contentType: json)
            #expect(overTLS.header("Set-Cookie")?.contains("; Secure") == true)
        }
    }

    @Test func signInRefusesWhatIsNotAReadOrAdminTokenSentAsJSON() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.run { client async throws in
            func signIn(_ body: String, as type: String = "application/json") async throws -> TestServer.Client.Reply {
                try await client.send("/ui/session", method: .POST, token: nil, body: Array(body.utf8), contentType: type)
            }
            #expect(try await signIn(#"{"token":"\#(server.ingestA)"}"#).status == 403, "an ingest token reads nothing")
            #expect(try await signIn(#"{"token":"keel_not_a_token"}"#).status == 401)
            #expect(try await signIn(#"{"token":""}"#).status == 400)
            #expect(try await signIn("not json").status == 400)
            #expect(try await signIn("token=\(server.readA)", as: "application/x-www-form-urlencoded").status == 415, "no form from another site")
            #expect(try await signIn(#"{"token":"\#(String(repeating: "x", count: 5_000))"}"#).status == 413)
            #expect(try await client.send("/ui/session", token: nil).status == 401, "not signed in")
            #expect(try await client.send("/v1/events", token: nil, headers: [("Cookie", "keel_session=forged")]).status == 401)
        }
    }

    /// An admin's session changes state only with its CSRF token (what another site's page cannot know), and ends the
    /// moment its token is revoked.
    @Test func aSessionChangesNothingWithoutItsCSRFTokenAndEndsWithItsToken() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let admin = try TokenStore(dataDirectory: server.directory).create(tenant: "tenant-a", role: .admin)
        try await server.run { client async throws in
            let signIn = try await client.send(
                "/ui/session", method: .POST, token: nil, body: Array(#"{"token":"\#(admin.token)"}"#.utf8), contentType: "application/json")
            let cookie = try #require(Self.cookie(signIn))
            let csrf = try #require(signIn.json?["csrf"]?.stringValue)
            let line = Array(keelLine("ui-admin").utf8)
            let forged = try await client.send("/v1/events", method: .POST, token: nil, headers: [("Cookie", cookie)], body: line)
            #expect(forged.status == 403)
            let wrong = try await client.send(
                "/v1/events", method: .POST, token: nil, headers: [("Cookie", cookie), ("X-Keel-CSRF", String(csrf.reversed()))], body: line)
            #expect(wrong.status == 403)
            #expect(try await client.events(token: server.readA).isEmpty, "nothing was stored")
            let sent = try await client.send(
                "/v1/events", method: .POST, token: nil, headers: [("Cookie", cookie), ("X-Keel-CSRF", csrf)], body: line)
            #expect(sent.status == 200)

            try TokenStore(dataDirectory: server.directory).revoke(id: admin.record.id)
            #expect(try await client.send("/v1/events", token: nil, headers: [("Cookie", cookie)]).status == 401)
            #expect(try await client.send("/ui/session", token: nil, headers: [("Cookie", cookie)]).status == 401)
        }
    }

    @Test func sessionsEndWhenIdleOrOldAndTheLeastUsedMakeRoom() {
        let start = ContinuousClock.now
        let store = SessionStore(idle: .seconds(60), longest: .seconds(300), capacity: 2)
        let a = store.start(token: "a", now: start)
        #expect(a.id.count == 64 && a.csrf.count == 64 && a.id != a.csrf)
        #expect(store.session(a.id, now: start + .seconds(59))?.token == "a")
        #expect(store.session(a.id, now: start + .seconds(118))?.token == "a", "each use keeps it alive")
        #expect(store.session(a.id, now: start + .seconds(179)) == nil, "idle for over a minute")
        let b = store.start(token: "b", now: start)
        for minute in 1...4 { #expect(store.session(b.id, now: start + .seconds(50 * minute)) != nil) }
        #expect(store.session(b.id, now: start + .seconds(301)) == nil, "older than the longest a session lasts")
        let c = store.start(token: "c", now: start)
        let d = store.start(token: "d", now: start + .seconds(1))
        _ = store.session(c.id, now: start + .seconds(2))
        let e = store.start(token: "e", now: start + .seconds(3))
        #expect(store.session(d.id, now: start + .seconds(4)) == nil, "the least recently used made room")
        #expect(store.session(c.id, now: start + .seconds(4)) != nil && store.session(e.id, now: start + .seconds(4)) != nil)
        #expect(SessionStore.sessionID(in: "a=1; keel_session=abc ;b=2") == "abc")
        #expect(SessionStore.sessionID(in: "keel_session=") == nil && SessionStore.sessionID(in: nil) == nil)
        #expect(SessionStore.same("abc", "abc") && !SessionStore.same("abc", "abd") && !SessionStore.same("abc", "ab"))
    }
}
