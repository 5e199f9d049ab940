import Foundation

/// What every embedded store does the same way with its files: which UTC day a time falls on, the arrival floor
/// each tenant keeps, and the bytes a directory holds.
package enum StoreFiles {
    /// Days since the epoch of a timestamp in microseconds: floor division that cannot overflow, whatever time a
    /// query names.
    package static func day(of timestamp: Int64) -> Int {
        let (days, rest) = timestamp.quotientAndRemainder(dividingBy: 86_400_000_000)
        return Int(rest < 0 ? days - 1 : days)
    }

    /// The arrival number kept at `path` (0 when there is none): a tenant's highest before events were deleted, so
    /// that numbers are never handed out twice.
    package static func arrivalFloor(at path: String) -> Int64 {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    /// Keeps `arrival` at `path`, atomically.
    package static func keepArrivalFloor(_ arrival: Int64, at path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("\(arrival)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The bytes of the regular files under `directory`.
    package static func bytes(under directory: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total: Int64 = 0
        while let name = walker.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0 }
        }
        return total
    }
}
