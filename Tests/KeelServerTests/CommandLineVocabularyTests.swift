import Foundation
import Keel
@testable import KeelServer
import Testing

/// One command-line language: every subcommand's help works, filters are spelled the same everywhere (with last
/// release's spellings still taken), mistakes say what is wrong, and what a server stored is printed as stored.
@Suite struct CommandLineVocabularyTests {
    static let subcommands = [
        "serve", "token", "token create", "token list", "token revoke", "query", "export", "timeline", "forget", "tail",
        "redact", "lint", "schema", "pipe", "verify",
    ]

    @Test func everyCommandExplainsItself() async throws {
        let (status, out, _) = try await CommandLineTests.keel(["--help"])
        #expect(status == 0)
        for command in ["serve", "query", "export", "timeline", "forget", "tail", "redact", "lint", "schema", "pipe", "verify", "token"] {
            #expect(out.contains(command), "keel --help does not list \(command)")
        }
        for command in Self.subcommands {
            let (status, out, err) = try await CommandLineTests.keel(command.split(separator: " ").map(String.init) + ["--help"])
            #expect(status == 0, "keel \(command) --help: \(err)")
            #expect(out.contains("USAGE: keel \(command)"), "keel \(command) --help:\n\(out)")
            // The old spellings work but are not taught.
            for hidden in ["--min-level", "--audit-key-file", "--audit-checkpoints", "--query "] {
                #expect(!out.contains(hidden), "keel \(command) --help shows \(hidden)")
            }
        }
        // The readers share one set of filters.
        for command in ["query", "export", "tail"] {
            let (_, out, _) = try await CommandLineTests.keel([command, "--help"])
            for flag in ["--level", "--since", "--from", "--to", "--request-id", "--trace-id", "--run-id", "--user-id", "--event", "--error-code", "--contains", "--tenant", "--server", "--token"] {
                #expect(out.contains(flag), "keel \(command) has no \(flag)")
            }
        }
        let (_, forget, _) = try await CommandLineTests.keel(["forget", "--help"])
        #expect(!forget.contains("the tenant to read"))
    }

    @Test func theExampleServiceExplainsItselfInsteadOfStarting() async throws {
        let binary = URL(fileURLWithPath: CrashDurabilityTests.binary).deletingLastPathComponent().appendingPathComponent("keel-example").path
        let (helped, help, _) = try await CommandLineTests.run(binary, ["--help"])
        #expect(helped == 0)
        #expect(help.contains("USAGE: keel-example"))
        let (refused, _, why) = try await CommandLineTests.run(binary, ["--port", "nonsense"])
        #expect(refused == 64)
        #expect(why.contains("unexpected arguments --port nonsense"))
    }

    @Test func filtersAreSpelledOneWayAndTheOldWayStillWorks() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let lines = [
                keelLine("v-1", message: "Payment declined", level: "ERROR", extra: "\"request_id\":\"req-9\",\"service\":\"billing\",\"duration_ms\":4"),
                keelLine("v-2", message: "payment retried", level: "INFO", extra: "\"request_id\":\"req-9\",\"service\":\"billing\""),
                // A line written by another program, printed as the server stored it.
                #"{"timestamp":"2026-11-23T10:00:00Z","level":"WARN","message":"caf\u00e9 \/ slow","request_id":"req-9","event_id":"v-3"}"#,
            ]
            let reply = try await client.ingest(lines, token: fixture.ingestA)
            #expect(reply.status == 200, "\(reply.text)")
            let stored = try await client.send("/v1/events?from=2026-01-01T00:00:00Z&request_id=req-9", token: fixture.readA).text
            let environment = ["KEEL_SERVER": "http://127.0.0.1:\(client.port)", "KEEL_TOKEN": fixture.readA]

            let (status, json, err) = try await CommandLineTests.keel(
                ["query", "--from", "2026-01-01T00:00:00Z", "--level", "warn", "-q", "PAYMENT", "--json"], environment: environment)
            #expect(status == 0, "\(err)")
            #expect(json.split(separator: "\n").count == 1)
            #expect(json.contains("\"event_id\":\"v-1\""))
            // Last release's spellings.
            let (_, old, _) = try await CommandLineTests.keel(
                ["query", "--from", "2026-01-01T00:00:00Z", "--min-level", "warn", "--query", "PAYMENT", "--json"], environment: environment)
            #expect(old == json)
            // Byte for byte what the server stored: key order and escapes as they were.
            let (_, all, _) = try await CommandLineTests.keel(["query", "--from", "2026-01-01T00:00:00Z", "--request-id", "req-9", "--json"], environment: environment)
            for line in all.split(separator: "\n") { #expect(stored.contains(line), "\(line) is not as stored") }
            #expect(all.contains("café / slow"))
            // --grep, as in keel tail.
            let (_, grepped, _) = try await CommandLineTests.keel(
                ["query", "--from", "2026-01-01T00:00:00Z", "--grep", "retr(y|ied)", "--json"], environment: environment)
            #expect(grepped.contains("\"event_id\":\"v-2\"") && !grepped.contains("\"event_id\":\"v-1\""))
            // Rendered, the service is shown.
            let (_, rendered, _) = try await CommandLineTests.keel(["query", "--from", "2026-01-01T00:00:00Z", "--level", "error"], environment: environment)
            #expect(rendered.contains("billing"))

            // keel timeline: the request's story, in order, from KEEL_SERVER.
            let (timelineStatus, story, timelineErr) = try await CommandLineTests.keel(["timeline", "req-9", "--color", "never"], environment: environment)
            #expect(timelineStatus == 0, "\(timelineErr)")
            #expect(story.hasPrefix("request_id req-9: 3 events"))
            #expect(story.contains("services: billing"))
            let order = ["café", "Payment declined", "payment retried"].compactMap { story.range(of: $0)?.lowerBound }
            #expect(order.count == 3 && order == order.sorted(), "\(story)")
            let (_, none, _) = try await CommandLineTests.keel(["timeline", "req-unknown"], environment: environment)
            #expect(none.contains("no events with request_id req-unknown"))

            // A bad value names the flag and what it takes.
            let (badStatus, _, bad) = try await CommandLineTests.keel(["query", "--level", "loud"], environment: environment)
            #expect(badStatus != 0)
            #expect(bad.contains("--level loud is not a level"))
            let (_, _, badTime) = try await CommandLineTests.keel(["query", "--since", "yesterday"], environment: environment)
            #expect(badTime.contains("--since yesterday"))
        }
    }

    /// Pointed at something that is not a keel serve, the commands say so instead of `Error: 404: `.
    @Test func theWrongServerIsNamed() async throws {
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            // Listening, but not serving /v1/events: a path prefix that answers 404.
            let wrong = "http://127.0.0.1:\(client.port)/not-keel"
            let (status, _, err) = try await CommandLineTests.keel(["query", "--server", wrong, "--token", fixture.readA])
            #expect(status != 0)
            #expect(err.contains("GET \(wrong)/v1/events: 404"), "\(err)")
            #expect(err.contains("does not look like a keel serve"), "\(err)")
        }
        // Nothing listening at all.
        let (status, _, err) = try await CommandLineTests.keel(["query", "--server", "http://127.0.0.1:9"])
        #expect(status != 0)
        #expect(err.contains("cannot reach http://127.0.0.1:9"))
        #expect(err.contains("KEEL_SERVER"))
    }
}
