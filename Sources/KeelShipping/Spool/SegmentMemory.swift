import Synchronization

/// A spool's segments in memory: the same bound, batching and acknowledgements as on disk, lost when the process
/// dies. For operational lines only — a sink taking audit or cost lines needs files.
final class SegmentMemory: SegmentStorage {
    private let segments = Mutex<[UInt64: [UInt8]]>([:])
    private let writing = Atomic<UInt64>(0)

    func recover() -> (segments: [SpoolLedger.Segment], acknowledged: SpoolPosition?, recovery: Spool.Recovery) { ([], nil, Spool.Recovery()) }

    func begin(_ id: UInt64) {
        writing.store(id, ordering: .relaxed)
        segments.withLock { if $0[id] == nil { $0[id] = [] } }
    }

    func append(_ record: [UInt8]) -> Bool {
        let id = writing.load(ordering: .relaxed)
        segments.withLock { $0[id, default: []] += record }
        return true
    }

    func flush() {}

    func sync(onlyIfDue due: Bool) {}

    func read(_ id: UInt64, at offset: Int, count: Int) -> [UInt8] {
        segments.withLock { segments in
            guard let bytes = segments[id], offset >= 0, offset < bytes.count else { return [] }
            return Array(bytes[offset..<min(bytes.count, offset + max(0, count))])
        }
    }

    func checkpoint(_ position: SpoolPosition) {}

    func remove(_ id: UInt64) { _ = segments.withLock { $0.removeValue(forKey: id) } }

    func close() {}
}
