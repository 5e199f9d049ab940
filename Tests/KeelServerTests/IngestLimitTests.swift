import Foundation
import Keel
@testable import KeelServer
@testable import KeelWire
import SwiftProtobuf
import Testing

/// Every limit and every kind of malformed input. A request that cannot be read as a whole (its size, its
/// encoding, its shape) is refused with a 4xx that says what is wrong, and nothing is stored. A record that cannot be
/// stored (one bad line, one skewed clock, one stream's labels) is refused alone with its place and reason, and the
/// valid events of the same request are stored and acknowledged.
@Suite struct IngestLimitTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let path: String
        let body: [UInt8]
        let contentType: String
        let headers: [(String, String)]
        let status: Int
        let reason: String
        var description: String { name }

        /// Whether the bad part is one record (the valid event beside it is stored), not the request.
        var refusesOneRecord: Bool { Self.recordReasons.contains(reason) }
        static let recordReasons: Set<String> = [
            "invalid_json", "not_an_object", "too_deep", "line_too_long", "future_timestamp", "invalid_timestamp",
            "invalid_utf8", "too_many_labels", "invalid_labels", "beyond_retention", "too_old",
        ]
    }

    static let valid = keelLine("valid-1", message: "a valid event in a bad request")

    static func ndjson(_ name: String, _ lines: [String], status: Int, reason: String, headers: [(String, String)] = []) -> Case {
        Case(
            name: name, path: "/v1/events", body: Array(([valid] + lines).joined(separator: "\n").utf8),
            contentType: "application/x-ndjson", headers: headers, status: status, reason: reason)
    }

    static let cases: [Case] = {
        var cases: [Case] = [
            ndjson("invalid JSON", ["{\"message\": oops}"], status: 200, reason: "invalid_json"),
            ndjson("not an object", ["[1,2,3]"], status: 200, reason: "not_an_object"),
            ndjson("too deep", [String(repeating: "{\"a\":", count: 40) + "1" + String(repeating: "}", count: 40)], status: 200, reason: "too_deep"),
            ndjson("line too long", [keelLine("long", message: String(repeating: "x", count: 300_000))], status: 200, reason: "line_too_long"),
            ndjson("future timestamp", [keelLine("future", at: Date().addingTimeInterval(86_400))], status: 200, reason: "future_timestamp"),
            // (Older than retention: DataLifecycleTests.)
                        ndjson("before 2000", [keelLine("ancient", at: Date(timeIntervalSince1970: 1_000))], status: 200, reason: "too_old"),
            ndjson("invalid timestamp", ["{\"timestamp\":\"yesterday\",\"message\":\"x\"}"], status: 200, reason: "invalid_timestamp"),
            ndjson("unknown encoding", [], status: 415, reason: "unsupported_media_type", headers: [("Content-Encoding", "br")]),
        ]
        var invalidUTF8 = Array((valid + "\n{\"message\":\"").utf8)
        invalidUTF8 += [0xC3, 0x28]
        invalidUTF8 += Array("\"}".utf8)
        cases.append(Case(name: "invalid UTF-8", path: "/v1/events", body: invalidUTF8, contentType: "application/x-ndjson", headers: [], status: 200, reason: "invalid_utf8"))
        cases.append(Case(
            name: "body too large", path: "/v1/events", body: Array(repeating: 0x20, count: 11 << 20) + Array(valid.utf8),
            contentType: "application/x-ndjson", headers: [], status: 413, reason: "body_too_large"))
        // 40 MB of one repeated line compresses to ~40 KB: past the inflate ratio long before the size limit.
        let bomb = gzip(Array(String(repeating: valid + "\n", count: 400_000).utf8))
        cases.append(Case(
            name: "decompression bomb", path: "/v1/events", body: bomb, contentType: "application/x-ndjson",
            headers: [("Content-Encoding", "gzip")], status: 413, reason: "decompressed_too_large"))
        cases.append(Case(
            name: "corrupt gzip", path: "/v1/events", body: Array(gzip(Array(valid.utf8)).dropLast(12)),
            contentType: "application/x-ndjson", headers: [("Content-Encoding", "gzip")], status: 400, reason: "invalid_compression"))
        let manyLabels = (0..<40).map { "\"l\($0)\":\"v\"" }.joined(separator: ",")
        cases.append(Case(
            name: "too many labels", path: "/loki/api/v1/push",
            body: Array("{\"streams\":[{\"stream\":{\"app\":\"ok\"},\"values\":[[\"1795435200000000000\",\"fine\"]]},{\"stream\":{\(manyLabels)},\"values\":[[\"1795435200000000000\",\"x\"]]}]}".utf8),
            contentType: "application/json", headers: [], status: 400, reason: "too_many_labels"))
        cases.append(Case(
            name: "label value too long", path: "/loki/api/v1/push",
            body: Array("{\"streams\":[{\"stream\":{\"app\":\"ok\"},\"values\":[[\"1795435200000000000\",\"fine\"]]},{\"stream\":{\"app\":\"\(String(repeating: "v", count: 3000))\"},\"values\":[[\"1795435200000000000\",\"x\"]]}]}".utf8),
            contentType: "application/json", headers: [], status: 400, reason: "invalid_labels"))
        cases.append(Case(
            name: "Loki body without streams", path: "/loki/api/v1/push", body: Array("{\"stream\":[]}".utf8),
            contentType: "application/json", headers: [], status: 400, reason: "invalid_push"))
        cases.append(Case(
            name: "Loki protobuf that is not snappy", path: "/loki/api/v1/push", body: Array("not snappy at all".utf8),
            contentType: "application/x-protobuf", headers: [], status: 400, reason: "invalid_compression"))
        cases.append(Case(
            name: "OTLP protobuf that is not protobuf", path: "/v1/logs", body: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01],
            contentType: "application/x-protobuf", headers: [], status: 400, reason: "invalid_protobuf"))
        cases.append(Case(
            name: "OTLP in an unknown type", path: "/v1/logs", body: Array("<logs/>".utf8),
            contentType: "application/xml", headers: [], status: 415, reason: "unsupported_media_type"))
        return cases
    }()

    @Test(arguments: cases) func refusedWithAMessageAndOnlyTheValidEventsStored(_ bad: Case) async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let reply = try await client.send(
                bad.path, method: .POST, token: fixture.ingestA, headers: bad.headers, body: bad.body, contentType: bad.contentType)
            #expect(reply.status == bad.status, "\(reply.text)")
            let stored = try await client.events(token: fixture.readA, query: "from=2000-01-01T00:00:00Z")
            if bad.refusesOneRecord {
                // The refusal names the bad record and why; the valid one beside it is stored, once.
                let refusal = reply.json?["errors"]?.arrayValue?.first
                #expect(refusal?["reason"]?.stringValue == bad.reason, "\(reply.text)")
                #expect(refusal?["line"]?.doubleValue == 2 || refusal?["record"]?.doubleValue == 2, "\(reply.text)")
                #expect((refusal?["error"]?.stringValue?.count ?? 0) > 10, "a message a person can act on")
                #expect(reply.json?["refused"]?.doubleValue == 1, "\(reply.text)")
                #expect(stored.count == 1, "the valid event of the request is stored")
                if bad.path == "/v1/events" { #expect(reply.json?["stored"]?.doubleValue == 1, "\(reply.text)") }
            } else {
                #expect(reply.json?["reason"]?.stringValue == bad.reason, "\(reply.text)")
                #expect((reply.json?["error"]?.stringValue?.count ?? 0) > 10, "a message a person can act on")
                #expect(stored.isEmpty, "a request refused whole stores nothing")
            }
            let metrics = try await client.send("/metrics", token: fixture.adminA)
            #expect(metrics.text.contains("keel_ingest_rejected_total{reason=\"\(bad.reason)\"} 1"))
        }
    }

    @Test func credentialsAreRequiredAndRolesHold() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let line = [keelLine("auth-1")]
            #expect(try await client.ingest(line, token: nil ?? "").status == 401)
            #expect(try await client.send("/v1/events", method: .POST, token: nil, body: Array(line[0].utf8)).status == 401)
            #expect(try await client.ingest(line, token: "keel_not_a_token").status == 401)
            #expect(try await client.ingest(line, token: fixture.readA).status == 403, "a read token cannot write")
            #expect(try await client.send("/v1/events", token: fixture.ingestA).status == 403, "an ingest token cannot read")
            #expect(try await client.send("/metrics", token: fixture.readA).status == 403)
            #expect(try await client.send("/healthz", token: nil).status == 200)
            // Created while the server runs: works at once; revoked while it runs: refused at once.
            let late = try TokenStore(dataDirectory: fixture.directory).create(tenant: "tenant-c", role: .ingest)
            #expect(try await client.ingest(line, token: late.token).status == 200)
            try TokenStore(dataDirectory: fixture.directory).revoke(id: late.record.id)
            let refused = try await client.ingest(line, token: late.token)
            #expect(refused.status == 401)
            #expect(refused.json?["error"]?.stringValue?.contains("revoked") == true)
            // A metrics token scrapes /metrics and nothing else.
            let scraper = try TokenStore(dataDirectory: fixture.directory).create(tenant: "tenant-a", role: .metrics).token
            #expect(try await client.send("/metrics", token: scraper).status == 200)
            #expect(try await client.send("/v1/events", token: scraper).status == 403)
            #expect(try await client.ingest(line, token: scraper).status == 403)
            #expect(try await client.send("/v1/forget", method: .POST, token: scraper, body: Array("{\"whole_tenant\":true}".utf8)).status == 403)
        }
    }
}
