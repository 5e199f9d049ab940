#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Keel
import KeelTools
import NIOCore
import NIOHTTP1

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Search a keel serve: matching events, oldest first; or run a LogQL query.",
        discussion: """
            With a LogQL query, a log query prints its lines and a metric query a table (docs/query.md):
              keel query '{service="api"} |= "timeout" | status >= 500' --since 1h
              keel query 'sum by (level) (count_over_time({service=~".+"}[5m]))' --since 1h --step 5m
            Without one, the filters below select events.
            """)

    @OptionGroup var server: ServerOptions
    @Argument(help: "A LogQL query (a log query or a metric query).") var logql: String?
    @OptionGroup var filters: FilterOptions
    @OptionGroup var grep: GrepOptions
    @Option(help: "At most this many events.") var limit = 100
    @Option(help: "A metric query's step (15s, 5m): a value per step of the range instead of one at its end.") var step: String?
    @Flag(help: "Print the events as stored (canonical JSON lines) instead of rendering them; for a metric query, the server's JSON.")
    var json = false
    @Option(help: "Colour: auto, always or never.") var color: ColourChoice = .auto

    func validate() throws {
        if limit <= 0 { throw ValidationError("--limit must be a positive number") }
        if logql != nil {
            let named = [filters.minimumLevel, filters.event, filters.errorCode, filters.requestID, filters.traceID, filters.runID, filters.userID, filters.text]
            if named.contains(where: { $0 != nil }) {
                throw ValidationError("with a LogQL query, filter in the query itself ({level=\"ERROR\"} | request_id=\"…\"); only --since, --from and --to apply")
            }
        } else if step != nil {
            throw ValidationError("--step applies to a LogQL metric query")
        }
    }

    func run() async throws {
        let client = ServerClient(options: server)
        let printer = TailPrinter(
            filter: TailFilter(grep: try grep.pattern()), style: json ? .json : .pretty, colour: !json && color.enabled)
        if let logql {
            try await LogQLCommandOutput(client: client, filters: filters, limit: limit, step: step, json: json).run(logql, printer: printer)
            return
        }
        var cursor: String?
        var shown = 0
        while shown < limit {
            let page = try await client.eventPage(
                client.request("/v1/events", filters.parameters + [("limit", String(min(1000, limit - shown))), ("cursor", cursor)]))
            // Each event as the server stored it, byte for byte.
            for event in page.events { event.withUnsafeBytes(printer.handle) }
            shown += page.events.count
            guard let next = page.next, !page.events.isEmpty else { break }
            cursor = next
        }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a run's or a time range's events from a keel serve to an NDJSON file.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var filters: FilterOptions
    @Option(name: .shortAndLong, help: "The file to write.") var output: String

    func run() async throws {
        let client = ServerClient(options: server)
        let response = try await client.send(client.request("/v1/export", filters.parameters), timeout: .hours(24))
        guard FileManager.default.createFile(atPath: output + ".partial", contents: nil),
            let file = FileHandle(forWritingAtPath: output + ".partial")
        else { throw ServerClient.Failure(description: "cannot create \(output)") }
        // Progress: events and bytes so far, and with a time range, how far through it the export is.
        let span = filters.from.flatMap { Timestamp(rfc3339: $0) }.flatMap { from in
            filters.to.flatMap { Timestamp(rfc3339: $0) }.map { (from.microsecondsSinceEpoch, $0.microsecondsSinceEpoch) }
        }
        var progress = ExportProgress(span: span, showing: FileDescriptorIO.isTerminal(2))
        var pending: [UInt8] = []
        do {
            for try await buffer in response.body {
                let bytes = Array(buffer.readableBytesView)
                file.write(Data(bytes))
                pending += bytes
                while let newline = pending.firstIndex(of: 0x0A) {
                    progress.line(pending[..<newline])
                    pending.removeSubrange(...newline)
                }
            }
        } catch {
            // The server aborts the stream when it cannot finish it: what arrived is not the whole export.
            try? file.close()
            unlink(output + ".partial")
            throw ServerClient.Failure(
                description: "export failed: the server ended the response after \(progress.events) events (\(error)); "
                    + "the export is incomplete and \(output) was not written; run it again")
        }
        try file.synchronize()
        try file.close()
        guard rename(output + ".partial", output) == 0 else { throw ServerClient.Failure(description: "cannot write \(output)") }
        progress.finish(to: output)
    }
}

/// A one-line progress bar on stderr.
struct ExportProgress {
    let span: (Int64, Int64)?
    let showing: Bool
    var events = 0
    var bytes = 0
    var lastDrawn = ContinuousClock.now

    init(span: (Int64, Int64)?, showing: Bool) {
        self.span = span
        self.showing = showing
    }

    mutating func line(_ line: ArraySlice<UInt8>) {
        events += 1
        bytes += line.count + 1
        guard showing, ContinuousClock.now - lastDrawn > .milliseconds(100) else { return }
        lastDrawn = .now
        var bar = ""
        if let (from, to) = span, to > from,
            let time = (try? JSONParser.parse(Array(line)))?["timestamp"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) })
        {
            let fraction = min(1, max(0, Double(time.microsecondsSinceEpoch - from) / Double(to - from)))
            let filled = Int(fraction * 30)
            bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled) + "] \(Int(fraction * 100))% "
        }
        FileHandle.standardError.write(Data("\r\(bar)\(events) events, \(bytes / 1024) KiB".utf8))
    }

    func finish(to path: String) {
        FileHandle.standardError.write(Data("\(showing ? "\r" : "")exported \(events) events (\(bytes) bytes) to \(path)\n".utf8))
    }
}

struct ForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Erase a user's events (or a whole tenant's) from a keel serve. Shows the count first; --yes deletes.")

    @OptionGroup var server: ServerOptions
    @Option(name: .customLong("user-id")) var userID: String?
    @Flag(name: .customLong("whole-tenant"), help: "Every event of the tenant.") var wholeTenant = false
    @Flag(help: "Delete (without it, only count).") var yes = false

    func run() async throws {
        guard (userID != nil) != wholeTenant else { throw ValidationError("name --user-id or --whole-tenant") }
        let client = ServerClient(options: server)
        var body: [(key: String, value: JSONValue)] = [("dry_run", .bool(!yes))]
        if let userID { body.append(("user_id", .string(userID))) } else { body.append(("whole_tenant", .bool(true))) }
        if let tenant = server.tenant { body.append(("tenant", .string(tenant))) }
        let answer = try await client.json(client.request("/v1/forget", method: .POST, body: Array(JSONValue.object(body).jsonText.utf8)))
        let count = answer["events"]?.doubleValue.map { Int($0) } ?? 0
        if yes {
            print("deleted \(count) events; audit event \(answer["audit_event_id"]?.stringValue ?? "?")")
        } else {
            print("\(count) events would be deleted; run again with --yes to delete them")
        }
    }
}
