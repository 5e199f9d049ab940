/// Reading the audit checkpoint key from a file: raw bytes, with a trailing newline ignored (a key written with
/// `head -c 32 /dev/urandom | base64 > key` or with `echo` both work as they are).
public enum AuditKey {
    public static func read(_ path: String) throws -> [UInt8] {
        var bytes = try readFileBytes(path)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        guard bytes.count >= 16 else { throw FileReadError(path: path, reason: "the key must be at least 16 bytes, got \(bytes.count)") }
        return bytes
    }
}
