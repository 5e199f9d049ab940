#if canImport(Glibc)
import Glibc
#endif
package import Keel

/// Checks hash-chained audit logs (``AuditChain``), as `keel verify` does: every record's hash, its link to the one
/// before, `seq` without gaps, every checkpoint's HMAC (given the key), and that the log ends sealed.
///
/// An edited byte breaks that record's hash; a deleted, inserted or moved record breaks `seq` or the link; a cut
/// tail leaves the log unsealed; a whole file rebuilt without the key has checkpoints whose HMAC does not match; a
/// log rebuilt *with* the key, or cut and sealed again, lacks checkpoints exported elsewhere (``ExportedCheckpoints``).
/// Files are followed in the order given, as one chain (rotated files first).
package struct AuditVerifier {
    package struct Report: Sendable {
        package var records = 0
        package var checkpoints = 0
        /// The first problem: file, line number (from 1) and what is wrong; `nil` when the chain holds.
        package var failure: (file: String, line: Int, reason: String)?
        /// Whether the last record is a sealing checkpoint.
        package var sealed = false
        /// Records after the last checkpoint: the part no checkpoint vouches for.
        package var recordsAfterLastCheckpoint = 0
        package var ok: Bool { failure == nil }
    }

    package let key: [UInt8]?
    package let allowUnsealed: Bool
    package init(key: [UInt8]?, allowUnsealed: Bool = false) {
        self.key = key
        self.allowUnsealed = allowUnsealed
    }

    /// Checks `files` as one chain; with `exported` (the checkpoint records exported to a second place, see
    /// ``ExportedCheckpoints``), also that the log holds every one of them unchanged.
    package func verify(
        files: [String], exported: ExportedCheckpoints? = nil,
        progress: ((_ file: String, _ records: Int) -> Void)? = nil
    ) -> Report {
        var report = Report()
        var previous = AuditChain.genesis
        var seq: Int64 = 0
        var unmatched = exported?.hashes ?? [:]
        for file in files {
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                report.failure = (file, 0, "cannot read: \(FileDescriptorIO.describe(errno))")
                return report
            }
            defer { close(fd) }
            var reader = LineReader()
            var lineNumber = 0
            var failure: (Int, String)?
            func check(_ line: UnsafeRawBufferPointer) {
                lineNumber += 1
                guard failure == nil else { return }
                if let problem = checkRecord(line, previous: &previous, seq: &seq, report: &report) {
                    failure = (lineNumber, problem)
                } else if let expected = unmatched.removeValue(forKey: seq), expected != previous {
                    failure = (
                        lineNumber,
                        "record \(seq) differs from the checkpoint exported for it: the log was rewritten"
                    )
                }
                if report.records % 100_000 == 0 { progress?(file, report.records) }
            }
            if let code = reader.readAll(from: fd, while: { failure == nil }, onLine: check) {
                failure = (lineNumber, "cannot read: \(FileDescriptorIO.describe(code))")
            }
            if let (line, reason) = failure {
                report.failure = (file, line, reason)
                return report
            }
        }
        if let missing = unmatched.keys.min() {
            report.failure = (
                files.last ?? "", 0,
                "the log ends before checkpoint record \(missing), which was exported: it was cut or replaced"
            )
            return report
        }
        if !report.sealed, !allowUnsealed {
            report.failure = (
                files.last ?? "", 0,
                "the log is not sealed: \(report.recordsAfterLastCheckpoint) records follow the last checkpoint "
                    + "(a crash, a cut tail, or a writer still running; --allow-unsealed accepts that)"
            )
        }
        return report
    }

    /// Checks one record against the chain so far; returns what is wrong, or `nil`.
    private func checkRecord(
        _ line: UnsafeRawBufferPointer, previous: inout [UInt8], seq: inout Int64, report: inout Report
    ) -> String? {
        guard let (body, hash) = AuditChain.split(line) else { return "not a chained record (no hash at the end)" }
        guard case .object(let members)? = try? JSONParser.parse(line) else { return "not valid JSON" }
        func member(_ name: String) -> JSONValue? { members.last { $0.key == name }?.value }
        guard case .number(let seqText)? = member("seq"), let recordSeq = Int64(seqText) else { return "no seq" }
        guard recordSeq == seq + 1 else {
            return recordSeq <= seq
                ? "seq \(recordSeq) after \(seq): a record was moved or inserted"
                : "seq \(recordSeq) after \(seq): \(recordSeq - seq - 1) record(s) missing"
        }
        guard case .string(let prevText)? = member("prev_hash"), Array(prevText.utf8) == previous else {
            return "prev_hash does not match the record before: a record was removed, inserted or changed"
        }
        let expected = body.withUnsafeBytes { AuditChain.digest(previous: previous, body: $0) }
        guard expected == hash else { return "hash does not match the record's bytes: the record was changed" }
        seq = recordSeq
        report.records += 1
        report.sealed = false
        if member("event")?.stringValue == "keel.checkpoint" {
            guard case .object(let context)? = member("context"),
                case .object(let checkpoint)? = context.last(where: { $0.key == "checkpoint" })?.value
            else { return "a checkpoint without its checkpoint data" }
            func field(_ name: String) -> JSONValue? { checkpoint.last { $0.key == name }?.value }
            guard case .number(let throughText)? = field("seq"), let through = Int64(throughText), through == recordSeq - 1,
                field("hash")?.stringValue.map({ Array($0.utf8) }) == previous
            else { return "a checkpoint that does not vouch for the record before it" }
            let sealed: Bool
            if case .bool(let b)? = field("sealed") { sealed = b } else { sealed = false }
            if let key {
                let mac = AuditChain.checkpointMAC(key: key, seq: through, hash: previous, sealed: sealed)
                guard field("hmac")?.stringValue == mac else {
                    return "checkpoint HMAC does not match: the log was rebuilt without the key (or the key is wrong)"
                }
            }
            report.checkpoints += 1
            report.recordsAfterLastCheckpoint = 0
            report.sealed = sealed
        } else {
            report.recordsAfterLastCheckpoint += 1
        }
        previous = hash
        return nil
    }
}
