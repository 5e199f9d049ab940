#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Keel
import KeelTools
import Logging

struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Show Keel log lines readably, from files or stdin, optionally following them; or a server's live tail.",
        discussion: """
            Lines that are not JSON are shown dimmed (unless a field filter is set). With -f, files are followed \
            across rotation (rename, re-create or copytruncate). Colour is used when stdout is a terminal. \
            With --server, follows a keel serve's live tail (--level, --request-id, --tenant and --grep apply), \
            reconnecting where it left off.
            """
    )

    @Option(help: "Follow the live tail of this keel serve (URL) instead of files.")
    var server: String?

    @Option(help: "The token for --server (default: $KEEL_TOKEN).")
    var token: String?

    @Argument(help: "Files to read; stdin when none.")
    var files: [String] = []

    @Flag(name: .shortAndLong, help: "Keep reading as the files grow, across rotation.")
    var follow = false

    @Option(name: .shortAndLong, help: "Start with only the last N lines of each file.")
    var lines: Int?

    @Option(help: "Show events at this level and above (trace … critical).")
    var level: String?

    @Option(name: .customLong("request-id"), help: "Show only events with this request_id.")
    var requestID: String?

    @Option(help: "Show only events of this tenant_id.")
    var tenant: String?

    @Option(help: "Show only lines matching this regular expression.")
    var grep: String?

    @Flag(name: [.customShort("i"), .customLong("ignore-case")], help: "Match --grep without regard to case.")
    var ignoreCase = false

    @Flag(help: "Print the matching lines as JSON, unchanged, instead of rendering them.")
    var json = false

    @Option(help: "Colour: auto, always or never.")
    var color: String = "auto"

    @Option(help: "How often to check followed files, in milliseconds.")
    var interval: Int = 200

    func validate() throws {
        if let level, Logger.Level(canonicalName: level) == nil {
            throw ValidationError("--level \(level) is not a level; use trace, debug, info, notice, warning, error or critical")
        }
        if !["auto", "always", "never"].contains(color) { throw ValidationError("--color takes auto, always or never") }
        if let lines, lines < 0 { throw ValidationError("--lines must not be negative") }
        if follow && files.isEmpty && server == nil { throw ValidationError("--follow needs at least one file") }
        if server != nil && !files.isEmpty { throw ValidationError("--server reads the server, not files") }
        if interval < 10 { throw ValidationError("--interval must be at least 10 ms") }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        var filter = TailFilter(
            minimumLevel: level.flatMap { Logger.Level(canonicalName: $0) }, requestID: requestID, tenant: tenant)
        if let grep {
            do {
                filter.grep = try TailFilter.pattern(grep, ignoreCase: ignoreCase)
            } catch {
                throw ValidationError("--grep \(grep.debugDescription) is not a valid regular expression: \(error)")
            }
        }
        let colour = color == "always" || (color == "auto" && FileDescriptorIO.isTerminal(1))
        let printer = TailPrinter(filter: filter, style: json ? .json : .pretty, colour: colour)

        if let server {
            var options = ServerOptions()
            options.server = server
            options.token = token
            options.tenant = tenant
            let parameters: [(String, String?)] = [("level", level), ("request_id", requestID)]
            try await ServerTail(client: ServerClient(options: options), parameters: parameters).run(printer)
            return
        }
        if files.isEmpty {
            var reader = LineReader()
            while !printer.outputClosed, case .read = reader.read(from: 0, onLine: printer.handle) {}
            reader.finish(onLine: printer.handle)
            return
        }
        var followers: [FileFollower] = []
        for file in files {
            guard access(file, R_OK) == 0 || follow else {
                throw ValidationError("cannot read \(file): \(FileDescriptorIO.describe(errno))")
            }
            let follower = FileFollower(path: file)
            if let lines {
                var last = RingOfLines(capacity: lines)
                follower.poll { last.append($0) }
                last.forEach(printer.handle)
            } else {
                follower.poll(onLine: printer.handle)
            }
            followers.append(follower)
        }
        guard follow else { return }
        while !printer.outputClosed {
            var any = 0
            for follower in followers { any += follower.poll(onLine: printer.handle) }
            if any == 0 { usleep(useconds_t(interval * 1000)) }
        }
    }
}

/// The last N lines seen.
struct RingOfLines {
    let capacity: Int
    private var lines: [[UInt8]] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ line: UnsafeRawBufferPointer) {
        guard capacity > 0 else { return }
        if lines.count < capacity {
            lines.append(Array(line))
        } else {
            lines[next] = Array(line)
            next = (next + 1) % capacity
        }
    }

    func forEach(_ body: (UnsafeRawBufferPointer) -> Void) {
        for i in 0..<lines.count { lines[(next + i) % lines.count].withUnsafeBytes(body) }
    }
}
