import Foundation
import Keel
@testable import KeelServer
@testable import KeelWire
import Testing

/// A tenant-A token never sees, tails, exports or forgets tenant-B data, on any endpoint; only admin tokens may pick
/// a tenant with `X-Scope-OrgID` (or `?tenant=`).
@Suite struct TenantIsolationTests {
    @Test func everyEndpointStaysInsideTheTokensTenant() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let shared = "\"request_id\":\"req-shared\",\"run_id\":\"run-shared\",\"user_id\":\"user-shared\""
            #expect(try await client.ingest([keelLine("a-1", message: "alpha secret plan", extra: shared)], token: fixture.ingestA).status == 200)
            #expect(try await client.ingest([keelLine("b-1", message: "bravo secret plan", extra: shared)], token: fixture.ingestB).status == 200)
            // Sending with another tenant's X-Scope-OrgID is refused for an ingest token, not silently redirected.
            let spoofed = try await client.ingest([keelLine("a-2")], token: fixture.ingestA, headers: [("X-Scope-OrgID", "tenant-b")])
            #expect(spoofed.status == 403)

            for query in ["", "q=secret", "request_id=req-shared", "run_id=run-shared", "user_id=user-shared"] {
                let seen = try await client.events(token: fixture.readA, query: query)
                #expect(seen.map { $0["event_id"]?.stringValue } == ["a-1"], "query \(query)")
            }
            let timeline = try await client.send("/v1/timeline?request_id=req-shared", token: fixture.readA)
            #expect(timeline.json?["count"] == .number("1"))
            #expect(!timeline.text.contains("bravo"))

            let export = try await client.send("/v1/export?run_id=run-shared", token: fixture.readA)
            #expect(export.status == 200)
            #expect(export.text.contains("alpha") && !export.text.contains("bravo"))

            // Naming tenant B: refused for A's read token, whether by header or by parameter.
            #expect(try await client.send("/v1/events", token: fixture.readA, headers: [("X-Scope-OrgID", "tenant-b")]).status == 403)
            #expect(try await client.send("/v1/events?tenant=tenant-b", token: fixture.readA).status == 403)
            #expect(try await client.send("/v1/export?run_id=run-shared&tenant=tenant-b", token: fixture.readA).status == 403)
            #expect(try await client.send("/v1/tail?tenant=tenant-b", token: fixture.readA).status == 403)
            // An admin of A may (that is what admin means), and sees only B's events there.
            let asAdmin = try await client.events(token: fixture.adminA, query: "tenant=tenant-b")
            #expect(asAdmin.map { $0["event_id"]?.stringValue } == ["b-1"])

            // The tail: B's new events never reach A's tail.
            let tailed = try await client.tail(token: fixture.readA, count: 1) {
                try await Task.sleep(for: .milliseconds(200))
                _ = try await client.ingest([keelLine("b-2", message: "bravo again")], token: fixture.ingestB)
                _ = try await client.ingest([keelLine("a-3", message: "alpha again")], token: fixture.ingestA)
            }
            #expect(tailed.map { $0.data["event_id"]?.stringValue } == ["a-3"])

            // Forget: A's admin erasing "user-shared" touches only A.
            let forgot = try await client.send(
                "/v1/forget", method: .POST, token: fixture.adminB,
                body: Array("{\"user_id\":\"user-shared\",\"dry_run\":false}".utf8), contentType: "application/json")
            #expect(forgot.json?["events"] == .number("1"))
            #expect(try await client.events(token: fixture.readA, query: "user_id=user-shared").count == 1, "A's event is still there")
            #expect(try await client.events(token: fixture.readB, query: "user_id=user-shared").isEmpty)
            // A non-admin cannot forget at all.
            let refused = try await client.send(
                "/v1/forget", method: .POST, token: fixture.readA,
                body: Array("{\"user_id\":\"user-shared\",\"dry_run\":false}".utf8), contentType: "application/json")
            #expect(refused.status == 403)
            #expect(try await client.events(token: fixture.readA, query: "user_id=user-shared").count == 1)
        }
    }
}
