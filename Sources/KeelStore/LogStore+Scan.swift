extension LogStore {
    public func scan(
        _ query: EventQuery, order: ScanOrder, _ body: (_ timestamp: Int64, _ line: UnsafeBufferPointer<UInt8>) -> Bool
    ) throws {
        try pagedScan(query, body)
    }

    /// ``LogStore/scan(_:order:_:)`` made of ``LogStore/events(_:)``, page after page (in time order): what a store
    /// without a scan of its own gives, and what one hands the queries its scan does not cover.
    public func pagedScan(_ query: EventQuery, _ body: (_ timestamp: Int64, _ line: UnsafeBufferPointer<UInt8>) -> Bool) throws {
        var query = query
        query.limit = 1000
        query.after = nil
        query.arrivedAfter = nil
        while true {
            let page = try events(query)
            for event in page.events {
                var line = event.line
                guard line.withUTF8({ body(event.timestamp, $0) }) else { return }
            }
            guard let next = page.next else { return }
            query.after = next
        }
    }
}
