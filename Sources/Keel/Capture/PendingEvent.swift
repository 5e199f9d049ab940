import Logging

/// A log call as the caller hands it over: everything the line will be built from, captured but not yet encoded.
///
/// Capturing costs a few reference counts (the message, the metadata dictionaries, the context) and about a
/// hundred bytes, kept small on purpose (see ``LogCall``). Building the line — gathering fields, redacting,
/// escaping — is left to the writer thread (``Pipeline/Delivery/background(queueEvents:)``), or to the caller
/// itself when the queue is under pressure.
///
/// Everything that depends on the calling task (the context, the metadata provider, the time) is read when the
/// call is made, never later. Every part is `Sendable`, so the writer may read `description`s on its own thread.
struct PendingEvent: Sendable {
    var call: LogCall
    var label: String
    var handlerMetadata: Logger.Metadata
    var provided: Logger.Metadata?
    var context: LogContext
    /// When the call was made. Its `event_id` is drawn when the line is built (from this time, so it sorts the
    /// same): 16 bytes and an atomic increment fewer on the calling thread.
    var time: Timestamp

    /// The storage class the event names (`ops` unless a metadata source says otherwise), without encoding it:
    /// what a full queue must know to choose between dropping the event and waiting for room.
    var storageClass: StorageClass {
        let key = FieldCatalogue.spec(.storageClass).name
        if let value = call.metadata?[key] ?? provided?[key] ?? handlerMetadata[key] {
            switch value {
            case .string(let s): return StorageClass(name: s) ?? .ops
            case .stringConvertible(let c): return StorageClass(name: c.description) ?? .ops
            default: return .ops
            }
        }
        return .ops
    }
}
