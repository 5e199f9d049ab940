#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Keel
import KeelTools

struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Redact NDJSON (or plain text) from files or stdin to stdout with Keel's redaction engine.",
        discussion: """
            Each input line gives one output line, in order. JSON lines are redacted as they are read (secret keys lose \
            their values, body keys are replaced by their size, strings are scanned for PII and credentials); \
            other lines are redacted as text.
            """
    )

    @Argument(help: "Files to read; stdin when none.")
    var files: [String] = []

    @Option(help: "A redaction policy file (the format of KEEL_REDACTION_POLICY, docs/redaction.md).")
    var policy: String?

    @Flag(name: .customLong("no-ip"), help: "Keep IPv4 and IPv6 addresses.")
    var keepIPAddresses = false

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        var rules = try PolicyFile.load(policy)
        if keepIPAddresses { rules.disabledDetectors.formUnion([RedactionType.ipv4, RedactionType.ipv6]) }
        let stream = RedactStream(redactor: Redactor(policy: rules))
        func drain(_ fd: Int32) {
            var reader = LineReader()
            while !stream.outputFailed, case .read = reader.read(from: fd, onLine: stream.handle) {}
            reader.finish(onLine: stream.handle)
        }
        if files.isEmpty {
            drain(0)
        } else {
            for file in files {
                let fd = open(file, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw ValidationError("cannot read \(file): \(FileDescriptorIO.describe(errno))") }
                drain(fd)
                close(fd)
            }
        }
        stream.flush()
    }
}
