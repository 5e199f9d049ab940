extension LogStore {
    public func scan(
        _ query: EventQuery, order: ScanOrder, _ body: (_ timestamp: Int64, _ line: UnsafeBufferPointer<UInt8>) -> Bool
    ) throws {
        try pagedScan(query, order: order, body)
    }

    /// ``LogStore/scan(_:order:_:)`` made of ``LogStore/events(_:)``, page after page: what a store without a scan of
    /// its own gives, and what one hands the queries its scan does not cover. Pages run oldest first, so a
    /// newest-first scan reads them all before handing the last over first.
    public func pagedScan(
        _ query: EventQuery, order: ScanOrder, _ body: (_ timestamp: Int64, _ line: UnsafeBufferPointer<UInt8>) -> Bool
    ) throws {
        var query = query
        query.limit = 1000
        query.after = nil
        query.arrivedAfter = nil
        var read: [StoredEvent] = []
        while true {
            let page = try events(query)
            if order == .newestFirst {
                read += page.events
            } else {
                for event in page.events {
                    var line = event.line
                    guard line.withUTF8({ body(event.timestamp, $0) }) else { return }
                }
            }
            guard let next = page.next else { break }
            query.after = next
        }
        for event in read.reversed() {
            var line = event.line
            guard line.withUTF8({ body(event.timestamp, $0) }) else { return }
        }
    }
}
