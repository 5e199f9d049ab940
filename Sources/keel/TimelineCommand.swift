import ArgumentParser
import Foundation
import Keel
import KeelTools

/// `keel timeline ID`: a request's, run's or trace's story from a keel serve, in order, with each event's offset
/// from the start and the gaps where nothing was logged.
struct TimelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Show a request's (or run's, or trace's) events from a keel serve, with offsets and gaps.",
        discussion: """
            Asks the server's /v1/timeline. Each event is shown with its offset from the start of the story (an \
            event with duration_ms started that long before it was written), and gaps of at least --gap are shown \
            between events.

              keel timeline req-7f3a
              keel timeline --run run-12 --json
            """
    )

    @OptionGroup var server: ServerOptions

    @Argument(help: "The request_id (or, with --run or --trace, the run_id or trace_id).")
    var id: String

    @Flag(help: "ID is a run_id.") var run = false
    @Flag(help: "ID is a trace_id.") var trace = false

    @Option(help: "Show gaps at least this long, in milliseconds.") var gap: Double = 100

    @Flag(help: "Print the server's answer (JSON) instead of rendering it.") var json = false

    @Option(help: "Colour: auto, always or never.") var color: ColourChoice = .auto

    func validate() throws {
        if run && trace { throw ValidationError("--run and --trace: name one") }
        if !(gap >= 0) { throw ValidationError("--gap must not be negative") }
    }

    func run() async throws {
        let client = ServerClient(options: server)
        let key = run ? "run_id" : trace ? "trace_id" : "request_id"
        let request = client.request("/v1/timeline", [(key, id)])
        if json {
            let body = try await client.body(request)
            FileHandle.standardOutput.write(Data(body))
            return
        }
        let timeline = try await client.json(request)
        print(Self.render(timeline, key: key, id: id, gap: gap, renderer: TextRenderer(colour: color.enabled)), terminator: "")
    }

    /// The timeline as text: a heading, then one line per event (`+offset` and the rendered event), with gaps.
    static func render(_ timeline: JSONValue, key: String, id: String, gap: Double, renderer: TextRenderer) -> String {
        guard case .array(let events)? = timeline["events"], !events.isEmpty else {
            return "no events with \(key) \(TextRenderer.sanitise(id))\n"
        }
        let services = (timeline["services"].flatMap { value -> [String]? in
            guard case .array(let items) = value else { return nil }
            return items.compactMap(\.stringValue)
        } ?? []).map(TextRenderer.sanitise)
        var out = "\(key) \(TextRenderer.sanitise(id)): \(events.count) events"
        if let duration = timeline["duration_ms"]?.doubleValue { out += " over \(milliseconds(duration))" }
        if !services.isEmpty { out += ", services: " + services.joined(separator: ", ") }
        if timeline["truncated"] == .bool(true) { out += " (truncated: the first 10,000 events)" }
        out += "\n"
        for item in events {
            if let pause = item["gap_ms"]?.doubleValue, pause >= gap, pause > 0 {
                out += "           … \(milliseconds(pause)) with nothing logged\n"
            }
            let offset = item["offset_ms"]?.doubleValue ?? 0
            let column = "+" + milliseconds(offset)
            out += String(repeating: " ", count: max(0, 11 - column.count)) + column + " "
            out += (item["event"].map(renderer.render(event:)) ?? "") + "\n"
        }
        return out
    }

    static func milliseconds(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.2f s", value / 1000) : String(format: "%.1f ms", value)
    }
}
