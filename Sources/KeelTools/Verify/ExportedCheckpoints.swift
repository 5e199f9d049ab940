#if canImport(Glibc)
import Glibc
#endif
package import Keel

/// Checkpoint records exported to a second place (``AuditSink/checkpointCopy``): the `seq` and `hash` each one had in
/// the log. A log that still verifies on its own but lacks one of them, or has another record at its `seq`, was
/// rewritten, replaced or cut — what a hash chain alone cannot tell.
package struct ExportedCheckpoints: Sendable {
    /// The hash of the checkpoint record at each exported `seq`.
    package let hashes: [Int64: [UInt8]]

    /// Reads exported checkpoint records, one per line (other lines are refused).
    package init(path: String) throws(ExportedCheckpointsError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ExportedCheckpointsError(path: path, line: 0, reason: "cannot read: \(FileDescriptorIO.describe(errno))")
        }
        defer { close(fd) }
        var hashes: [Int64: [UInt8]] = [:]
        var problem: ExportedCheckpointsError?
        var lineNumber = 0
        func take(_ line: UnsafeRawBufferPointer) {
            lineNumber += 1
            guard problem == nil, !line.isEmpty else { return }
            guard let (_, hash) = AuditChain.split(line),
                case .object(let members)? = try? JSONParser.parse(line),
                members.last(where: { $0.key == "event" })?.value.stringValue == "keel.checkpoint",
                case .number(let seqText)? = members.last(where: { $0.key == "seq" })?.value, let seq = Int64(seqText)
            else {
                problem = ExportedCheckpointsError(path: path, line: lineNumber, reason: "not an audit checkpoint record")
                return
            }
            hashes[seq] = hash
        }
        var reader = LineReader()
        if let code = reader.readAll(from: fd, while: { problem == nil }, onLine: take) {
            problem = ExportedCheckpointsError(
                path: path, line: lineNumber, reason: "cannot read: \(FileDescriptorIO.describe(code))")
        }
        if let problem { throw problem }
        self.hashes = hashes
    }
}

package struct ExportedCheckpointsError: Error, CustomStringConvertible {
    package let path: String
    package let line: Int
    package let reason: String
    package var description: String { "\(path)\(line > 0 ? ":\(line)" : ""): \(reason)" }
}
