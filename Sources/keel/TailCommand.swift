#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import Keel
import KeelTools
import Logging

struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Show Keel log lines readably, from files or stdin, optionally following them; or a server's live tail.",
        discussion: """
            Lines that are not JSON are shown dimmed (unless a field filter is set). With -f, files are followed \
            across rotation (rename, re-create or copytruncate). Colour is used when stdout is a terminal.

            With --server (or with no files, stdin a terminal and $KEEL_SERVER set), follows a keel serve's live \
            tail, reconnecting where it left off. The filters are those of keel query, for files and servers alike.

              my-app 2>&1 | keel tail --level warn
              keel tail -f /var/log/app/app.log --request-id req-42
              KEEL_SERVER=http://127.0.0.1:8080 KEEL_TOKEN=... keel tail --level error
            """
    )

    @OptionGroup var server: ServerOptions
    @OptionGroup var filters: FilterOptions
    @OptionGroup var grep: GrepOptions

    @Argument(help: "Files to read; stdin when none.")
    var files: [String] = []

    @Flag(name: .shortAndLong, help: "Keep reading as the files grow, across rotation.")
    var follow = false

    @Option(name: .shortAndLong, help: "Start with only the last N lines of each file.")
    var lines: Int?

    @Flag(help: "Print the matching lines as JSON, unchanged, instead of rendering them.")
    var json = false

    @Option(help: "Colour: auto, always or never.")
    var color: ColourChoice = .auto

    @Option(help: "How often to check followed files, in milliseconds.")
    var interval: Int = 200

    /// The server to follow: `--server`, or `$KEEL_SERVER` when there is nothing else to read (no files, and stdin
    /// is a terminal rather than a pipe).
    var followedServer: String? {
        server.server ?? (files.isEmpty && FileDescriptorIO.isTerminal(0) ? ProcessInfo.processInfo.environment["KEEL_SERVER"] : nil)
    }

    func validate() throws {
        if let lines, lines < 0 { throw ValidationError("--lines must not be negative") }
        if follow && files.isEmpty && server.server == nil { throw ValidationError("--follow needs at least one file") }
        if server.server != nil && !files.isEmpty { throw ValidationError("--server reads the server, not files") }
        if interval < 10 { throw ValidationError("--interval must be at least 10 ms") }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let colour = color.enabled
        if let url = followedServer {
            var options = server
            options.server = url
            // The server filters; only --grep is left to match here.
            let printer = TailPrinter(filter: TailFilter(grep: try grep.pattern()), style: json ? .json : .pretty, colour: colour)
            try await ServerTail(client: ServerClient(options: options), parameters: filters.parameters).run(printer)
            return
        }
        let filter = filters.filter(tenant: server.tenant, grep: try grep.pattern())
        let printer = TailPrinter(filter: filter, style: json ? .json : .pretty, colour: colour)
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
