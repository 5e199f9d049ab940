/// Where a ``Spool`` keeps its segments: files in a directory (``SegmentFiles``: what survives the process) or
/// memory (``SegmentMemory``: operational lines a service may lose when it dies, for a host without a disk to spare).
/// The spool calls every method but ``read(_:at:count:)`` under its lock; `read` may run beside the others.
protocol SegmentStorage: AnyObject, Sendable {
    /// What is kept from an earlier run: the segments (oldest first) and where acknowledgements had reached.
    func recover() throws -> (segments: [SpoolLedger.Segment], acknowledged: SpoolPosition?, recovery: Spool.Recovery)
    /// Starts writing segment `id`: a new one, or the newest kept.
    func begin(_ id: UInt64) throws
    /// Appends a framed record to the segment being written (or gathers it, to write with others); false when it
    /// could not be kept.
    func append(_ record: [UInt8]) -> Bool
    /// Writes out what was gathered, so that ``read(_:at:count:)`` sees it.
    func flush()
    /// Forces what was appended to the disk: now, or only when its fsync policy says it is due.
    func sync(onlyIfDue due: Bool)
    /// Up to `count` bytes of segment `id` from `offset` (fewer at its end).
    func read(_ id: UInt64, at offset: Int, count: Int) -> [UInt8]
    /// Where the server's acknowledgements have reached: written before any segment is removed.
    func checkpoint(_ position: SpoolPosition)
    func remove(_ id: UInt64)
    func close()
}
