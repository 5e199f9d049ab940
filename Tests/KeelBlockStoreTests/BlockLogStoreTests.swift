import Foundation
import Keel
@testable import KeelBlockStore
import KeelStore
import KeelTesting
import Testing

/// Store v2 meets the contract every store must: the same checks the SQLite store passes, unchanged, with blocks as
/// large as in production (everything stays in the heads) and as small as 16 events (every read crosses blocks).
struct BlockLogStoreTests {
    @Test(arguments: [FlushPolicy(), FlushPolicy(maximumRows: 16, maximumBytes: 1 << 20, maximumAge: .max / 2)])
    func meetsTheLogStoreContract(policy: FlushPolicy) {
        let failures = LogStoreConformance.run { try BlockLogStore(directory: $0, durability: .normal, policy: policy) }
        #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n"))")
    }

    /// After an erasure, no file of the store holds the erased user's events: not a block (each is decoded and
    /// read), not a head's log, not a file left on the side.
    @Test func anErasedUserLeavesNothingInAnyFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-blocks-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BlockLogStore(directory: directory, durability: .full, policy: FlushPolicy(maximumRows: 10, maximumBytes: 1 << 20, maximumAge: .max / 2))
        let start: Int64 = 1_795_392_000_000_000
        let events = try (0..<95).map { n in
            let user = n % 5 == 0 ? "canary-user" : "user-\(n % 3)"
            let secret = n % 5 == 0 ? "CANARY-SECRET-\(n)" : "hay \(n)"
            let line = #"{"timestamp":"\#(Timestamp(microsecondsSinceEpoch: start + Int64(n) * 1_000_000))","level":"INFO","message":"\#(secret)","event_id":"e-\#(n)","user_id":"\#(user)"}"#
            return try StoredEvent(line: line, tenant: "t1")
        }
        _ = try store.append(events)
        #expect(try store.forget(.user(tenant: "t1", userID: "canary-user"), dryRun: false) == 19)
        var lines: [String] = []
        var raw: [UInt8] = []
        let walker = try #require(FileManager.default.enumerator(atPath: directory))
        while let name = walker.nextObject() as? String {
            let path = directory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = try DurableFiles.read(path)
            raw += bytes
            if BlockFile(name: (name as NSString).lastPathComponent) != nil {
                lines += try EventBlock.decode(try BlockFile.read(bytes).block).map { String(decoding: $0.line, as: UTF8.self) }
            } else if name.hasSuffix("head.log") {
                lines += HeadLogRecords.read(bytes).records.map { String(decoding: $0.line, as: UTF8.self) }
            }
        }
        #expect(lines.count == 76, "the other users' events are all still there")
        #expect(!lines.contains { $0.contains("CANARY") || $0.contains("canary-user") })
        #expect(!String(decoding: raw, as: UTF8.self).contains("CANARY"), "no file holds the canary in the clear")
        #expect(try LogStoreConformance.all(store, EventQuery(tenant: "t1")).count == 76)
    }
}
