#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Keel
import KeelTools

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check log files for schema v1 violations and personal data or secrets.",
        discussion: """
            Prints one line per finding (FILE:LINE: what, and for a leak its type and JSON path — never the value), \
            then a summary table. Exits 1 when anything was found, 0 when the files are clean: usable as a CI gate \
            or on production logs.
            """
    )

    @Argument(help: "Log files (NDJSON) to check.")
    var files: [String]

    @Option(help: "A redaction policy file (the format of KEEL_REDACTION_POLICY, docs/redaction.md).")
    var policy: String?

    @Flag(name: .customLong("no-schema"), help: "Check for leaks only (logs that are not Keel's).")
    var noSchema = false

    @Option(help: "At most this many finding lines per file (the summary counts all).")
    var limit: Int = 1000

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let linter = LogLinter(policy: try PolicyFile.load(policy), checkSchema: !noSchema)
        var out = ""
        func flush() {
            out.withUTF8 { _ = FileDescriptorIO.writeAll(1, UnsafeRawBufferPointer($0)) }
            out.removeAll(keepingCapacity: true)
        }
        for file in files {
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw ValidationError("cannot read \(file): \(FileDescriptorIO.describe(errno))") }
            linter.startFile()
            var printed = 0
            var reader = LineReader()
            let handle: (UnsafeRawBufferPointer) -> Void = { line in
                for finding in linter.check(line) where printed < limit {
                    printed += 1
                    out += "\(file):\(finding.line): \(finding.text)\n"
                }
                if out.utf8.count > 60_000 { flush() }
            }
            while case .read = reader.read(from: fd, onLine: handle) {}
            reader.finish(onLine: handle)
            close(fd)
        }
        out += "\n" + linter.summary
        flush()
        if linter.linesWithFindings > 0 { throw ExitCode(1) }
    }
}
