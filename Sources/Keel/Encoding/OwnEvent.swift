import Logging

extension OutputBuffer {
    /// Starts a line for an event Keel itself emits (`keel.dropped`, `keel.checkpoint`): the envelope fields in
    /// schema order, then `"context":{` — the caller writes the context's members and closes with `}}`.
    mutating func appendOwnEventHead(
        level: Logger.Level, message: StaticString, event: StaticString, service: String, storageClass: StorageClass
    ) {
        let time = Timestamp.now()
        append("{\"timestamp\":\"")
        appendRFC3339(time)
        append("\",\"level\":\"")
        appendRaw(level.canonicalName)
        append("\",\"message\":\"")
        append(message)
        append("\",\"event\":\"")
        append(event)
        append("\",\"service\":")
        appendJSONString(service)
        append(",\"schema_version\":1,\"event_id\":\"")
        let id = EventIDGenerator.next(at: time)
        appendUUID(high: id.high, low: id.low)
        append("\",\"storage_class\":\"")
        appendRaw(storageClass.name)
        append("\",\"context\":{")
    }
}
