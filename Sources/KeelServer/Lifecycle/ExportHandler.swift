import Hummingbird
import Keel
import KeelStore
import NIOCore

extension KeelServer {
    /// `GET /v1/export?run_id=…` or `?from=…&to=…` (and any filter of `/v1/events`): every matching event as NDJSON,
    /// oldest first, streamed page by page so an export of millions of events holds one page in memory.
    func export(_ request: Request, _ principal: Principal, _ query: EventQuery) async -> Response {
        guard query.ids[.runID] != nil || query.ids[.requestID] != nil || query.ids[.userID] != nil || query.from != nil
        else {
            return Self.error(.badRequest, "invalid_parameter", "name a run_id (or request_id, user_id) or a time range (from, to)")
        }
        let first = query
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson", .contentDisposition: "attachment; filename=\"keel-export.ndjson\""],
            body: ResponseBody { writer in
                try await self.eachPage(of: first) { events in
                    guard !events.isEmpty else { return true }
                    var buffer = ByteBufferAllocator().buffer(capacity: events.reduce(0) { $0 + $1.line.utf8.count + 1 })
                    for event in events {
                        buffer.writeString(event.line)
                        buffer.writeInteger(UInt8(ascii: "\n"))
                    }
                    try await writer.write(buffer)
                    return true
                }
                try await writer.finish(nil)
            })
    }
}
