import ArgumentParser
import Keel
import KeelTools

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check hash-chained audit logs: edits, deletions, insertions, reordering, a cut tail, a replaced file.",
        discussion: """
            Files are checked as one chain, in the order given (rotated files first). The checkpoints' HMACs need the \
            key: without --key-file a log rebuilt from scratch cannot be told from the original, so verification \
            fails unless --no-key says that a check of the chain alone is wanted. Exits 1 on any failure, naming the \
            file, the line and what is wrong.
            """
    )

    @Argument(help: "Audit log files, oldest first.")
    var files: [String]

    @Option(name: .customLong("key-file"), help: "The file holding the checkpoint HMAC key.")
    var keyFile: String?

    @Flag(
        name: .customLong("no-key"),
        help: "Check the chain without the key: edits, deletions and reordering are caught, a log re-chained from scratch is not.")
    var noKey = false

    @Flag(name: .customLong("allow-unsealed"), help: "Accept a log that does not end with a sealing checkpoint.")
    var allowUnsealed = false

    @Option(help: "Checkpoints exported from the log (keel pipe --checkpoints): the log must hold every one unchanged.")
    var checkpoints: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one audit log file") }
        if keyFile == nil && !noKey {
            throw ValidationError(
                "no --key-file: without the key, a log rebuilt from scratch with new hashes verifies as well as the original. "
                    + "Give --key-file, or --no-key to check the chain alone.")
        }
        if keyFile != nil && noKey { throw ValidationError("give --key-file or --no-key, not both") }
    }

    func run() throws {
        var key: [UInt8]?
        if let keyFile {
            do {
                key = try AuditKey.read(keyFile)
            } catch {
                throw ValidationError("--key-file \(keyFile): \(error)")
            }
        }
        var exported: ExportedCheckpoints?
        if let checkpoints {
            do {
                exported = try ExportedCheckpoints(path: checkpoints)
            } catch {
                throw ValidationError("--checkpoints \(error)")
            }
        }
        let verifier = AuditVerifier(key: key, allowUnsealed: allowUnsealed)
        let report = verifier.verify(files: files, exported: exported) { file, records in
            FileDescriptorIO.reportToStderr("verify: \(file): \(records) records checked")
        }
        print("records: \(report.records), checkpoints: \(report.checkpoints), sealed: \(report.sealed ? "yes" : "no"), "
            + "records after the last checkpoint: \(report.recordsAfterLastCheckpoint)")
        if key == nil {
            print("note: --no-key: checkpoint HMACs were not checked; a log re-chained from scratch would pass this check")
        }
        if let failure = report.failure {
            print("FAILED: \(failure.file)\(failure.line > 0 ? ":\(failure.line)" : ""): \(failure.reason)")
            throw ExitCode(1)
        }
        print("OK")
    }
}
