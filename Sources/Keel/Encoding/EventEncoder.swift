public import Logging

/// Which events carry `source` {module, file, function, line}.
public struct SourceLocationPolicy: Sendable, Hashable {
    let minimumLevel: Logger.Level?

    /// Never write `source`.
    public static let never = SourceLocationPolicy(minimumLevel: nil)
    /// Write `source` on every event.
    public static let always = SourceLocationPolicy(minimumLevel: .trace)
    /// Write `source` on events at `level` or above.
    public static func atOrAbove(_ level: Logger.Level) -> SourceLocationPolicy {
        SourceLocationPolicy(minimumLevel: level)
    }

    @inline(__always)
    func includes(_ level: Logger.Level) -> Bool {
        guard let minimumLevel else { return false }
        return level >= minimumLevel
    }
}

/// The parts of an event made once per call: when, and its id. (A re-encode that cuts an over-long line keeps both.)
struct EventStamp: Sendable {
    var time: Timestamp
    var id: (high: UInt64, low: UInt64)

    init(time: Timestamp, id: (high: UInt64, low: UInt64)) {
        self.time = time
        self.id = id
    }

    /// A stamp for an event at `time`, with a new id.
    @inline(__always)
    init(_ time: Timestamp) {
        self.init(time: time, id: EventIDGenerator.next(at: time))
    }
}

/// What ``EventEncoder/encode(call:label:handlerMetadata:context:provided:stamp:sampler:scratch:)`` did.
enum EncodeOutcome {
    case written(storageClass: StorageClass, truncated: Bool, reclassified: Int)
    case sampledOut
}

/// Builds schema v1 lines, in stages that each live in their own folder: gather (`Gathering/`), sample (`Sampling/`),
/// redact and encode (`Redaction/`, `Encoding/`). The configuration's fixed fields are encoded once, here.
package struct EventEncoder: Sendable {
    /// `,"service":…,"env":…,"version":…,"host":…,"pid":…,"schema_version":1`, encoded once.
    let envelope: [UInt8]
    /// The `service` field of every event (also used by the pipeline's own events, such as `keel.dropped`).
    package let service: String
    let maxLineBytes: Int
    let sourceLocations: SourceLocationPolicy
    /// The redaction engine's string detectors; `nil` when redaction is off.
    let strings: StringRedactor?

    /// The most nesting written under `context`; deeper values are written as a marker string.
    static let maxDepth = 32
    /// The smallest per-string limit tried when a line is too long.
    static let smallestStringLimit = 32

    package init(
        service: String, environment: String?, version: String?, host: String?, pid: Int?,
        maxLineBytes: Int = 16 * 1024, sourceLocations: SourceLocationPolicy = .atOrAbove(.warning),
        redaction: RedactionPolicy? = .default
    ) {
        self.strings = redaction.map(StringRedactor.init(policy:))
        self.service = service
        var out = OutputBuffer(capacity: 256)
        defer { out.deallocate() }
        func put(_ field: FieldID, _ value: String?) {
            guard let value else { return }
            out.append(FieldRules.key(field))
            out.appendJSONString(value)
        }
        put(.service, service)
        put(.env, environment)
        put(.version, version)
        put(.host, host)
        if let pid {
            out.append(FieldRules.key(.pid))
            out.appendDecimal(Int64(pid))
        }
        out.append(FieldRules.key(.schemaVersion))
        out.appendDecimal(Int64(FieldCatalogue.schemaVersion))
        self.envelope = out.bytes
        self.maxLineBytes = max(maxLineBytes, 1024)
        self.sourceLocations = sourceLocations
    }

    /// An event's way through the encoder: gather (``gather(errorFields:handlerMetadata:context:provided:explicit:into:)``,
    /// in `Gathering/`) → sample (``Sampler``, in `Sampling/`) → redact and encode (``writeLine(_:_:limit:omitContext:scratch:to:)``,
    /// in `Encoding/`, through `Redaction/`'s ``RedactingWriter``), into `scratch.buffer` (cleared first), ending in
    /// `\n`. A line longer than the limit is written again with its strings cut ever shorter, then without `context`.
    @inline(__always)
    func encode(
        call: borrowing LogCall, label: String, handlerMetadata: Logger.Metadata, context: LogContext,
        provided: Logger.Metadata?, stamp: EventStamp, sampler: Sampler, scratch: EncodeScratch
    ) -> EncodeOutcome {
        var slots = FieldSlots(storage: scratch.slotStorage)
        defer { slots.clear() }
        let errorFields = call.error.map(ErrorFields.init)
        let explicit = call.metadata

        let flags = Self.gather(
            errorFields: errorFields, handlerMetadata: handlerMetadata, context: context, provided: provided,
            explicit: explicit, into: &slots)

        let storageClass = Self.stringValue(.storageClass, slots, context: context).flatMap(StorageClass.init(name:)) ?? .ops
        if !sampler.keepsEverything,
            !sampler.keeps(
                level: call.level, storageClass: storageClass, requestID: Self.stringValue(.requestID, slots, context: context),
                eventID: stamp.id.low, event: Self.stringValue(.event, slots, context: context))
        {
            return .sampledOut
        }

        let event = LineSources(
            level: call.level, message: call.message.description, label: label, source: call.source,
            handlerMetadata: handlerMetadata, context: context, provided: provided, explicit: explicit,
            errorFields: errorFields, flags: flags, storageClass: storageClass, stamp: stamp)
        scratch.buffer.removeAll()
        writeLine(event, slots, limit: .max, omitContext: false, scratch: scratch, to: &scratch.buffer)
        let reclassified = slots.rejected.nonzeroBitCount
        guard scratch.buffer.count > maxLineBytes else {
            return .written(storageClass: storageClass, truncated: false, reclassified: reclassified)
        }
        // Too long: cut strings ever shorter until it fits, then give up the free-form context.
        var limit = maxLineBytes / 4
        while true {
            scratch.buffer.removeAll()
            writeLine(event, slots, limit: limit, omitContext: false, scratch: scratch, to: &scratch.buffer)
            if scratch.buffer.count <= maxLineBytes || limit <= Self.smallestStringLimit { break }
            limit = max(limit / 2, Self.smallestStringLimit)
        }
        if scratch.buffer.count > maxLineBytes {
            scratch.buffer.removeAll()
            writeLine(event, slots, limit: limit, omitContext: true, scratch: scratch, to: &scratch.buffer)
        }
        return .written(storageClass: storageClass, truncated: true, reclassified: reclassified)
    }
}
