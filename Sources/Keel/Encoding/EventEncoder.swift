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

/// What the call's `error` contributes: its ``ClassifiedError`` code and retryability, and the `error` object.
struct ErrorFields {
    var code: String?
    var retryable: Bool?
    var type: String?
    var message: String?

    init(_ error: any Error) {
        if let classified = error as? any ClassifiedError {
            code = classified.errorCode
            retryable = classified.isRetryable
        }
        type = EventEncoder.typeName(of: error)
        message = String(describing: error)
    }
}

/// What ``EventEncoder/encode(call:label:handlerMetadata:context:provided:stamp:sampler:scratch:)`` did.
enum EncodeOutcome {
    case written(storageClass: StorageClass, truncated: Bool, reclassified: Int)
    case sampledOut
}

/// Builds schema v1 lines: gathers the canonical fields from every metadata source under the locked-field rules,
/// then writes them as one JSON object in catalogue order.
///
/// Sources, lowest priority first: the call's `error` (its classification), the handler's metadata, the task's
/// ``LogContext``, the metadata provider, the call's metadata, then the call's `error` object. A later source
/// replaces an earlier one's value for the same key.
///
/// Each metadata value is copied once — by iterating its dictionary, which is the least `Dictionary` allows — and
/// that copy is moved into its slot; no `Dictionary` or merged metadata is built per event.
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

    /// Gathers, samples and writes one event into `scratch.buffer` (cleared first), ending in `\n`.
    @inline(__always)
    func encode(
        call: borrowing LogCall, label: String, handlerMetadata: Logger.Metadata, context: LogContext,
        provided: Logger.Metadata?, stamp: EventStamp, sampler: Sampler, scratch: EncodeScratch
    ) -> EncodeOutcome {
        // The local functions below capture what they use; they capture these pieces, never the whole call (a
        // capture copies, and a copy is several reference counts).
        let level = call.level
        let message = call.message.description
        let explicit = call.metadata
        let errorFields = call.error.map(ErrorFields.init)
        let sourceLocation = call.source
        var slots = FieldSlots(storage: scratch.slotStorage)
        defer { slots.clear() }

        // Gather, lowest priority first.
        var sensitiveSeen = false
        var handlerHasContext = false
        var providedHasContext = false
        var explicitHasContext = false
        if let errorFields {
            if errorFields.code != nil { slots.set(.errorCode, .fromError) }
            if errorFields.retryable != nil { slots.set(.retryable, .fromError) }
        }
        if !handlerMetadata.isEmpty { handlerHasContext = Self.promote(handlerMetadata, into: &slots, sensitive: &sensitiveSeen) }
        if !context.isEmpty { context.forEachField { field, _ in slots.set(field, .context) } }
        if let provided, !provided.isEmpty { providedHasContext = Self.promote(provided, into: &slots, sensitive: &sensitiveSeen) }
        if let explicit, !explicit.isEmpty { explicitHasContext = Self.promote(explicit, into: &slots, sensitive: &sensitiveSeen) }
        if errorFields != nil { slots.set(.error, .fromError) }
        let hasContext = handlerHasContext || providedHasContext || explicitHasContext

        func stringValue(_ field: FieldID) -> String? {
            guard let slot = slots.slot(field) else { return nil }
            switch slot.pointee {
            case .context: return context[field]
            case .string(let s): return s
            default: return nil
            }
        }

        // Storage class and sampling.
        let storageClass = stringValue(.storageClass).flatMap(StorageClass.init(name:)) ?? .ops
        if !sampler.keepsEverything,
            !sampler.keeps(
                level: level, storageClass: storageClass, requestID: stringValue(.requestID), eventID: stamp.id.low,
                event: stringValue(.event))
        {
            return .sampledOut
        }

        // Write.
        let isAudit = storageClass == .audit
        func writer(_ limit: Int) -> RedactingWriter {
            RedactingWriter(strings: strings, limit: limit, scratch: scratch)
        }

        func writeField(
            _ field: FieldID, _ slot: UnsafeMutablePointer<SlotValue>, limit: Int, values: RedactingWriter,
            to out: inout OutputBuffer
        ) {
            switch slot.pointee {
            case .context:
                values.string(context[field] ?? "", to: &out)
            case .fromError:
                switch field {
                case .errorCode: out.appendJSONString(errorFields?.code ?? "", limit: limit)
                case .retryable: out.append(errorFields?.retryable == true ? "true" : "false")
                default:
                    CanonicalValue.writeErrorObject(
                        type: errorFields?.type, message: values.redacted(errorFields?.message), stack: nil, limit: limit,
                        to: &out)
                }
            case .string(let s): values.string(s, to: &out)
            case .integer(let i): out.appendDecimal(i)
            case .number(let d): out.appendJSONNumber(d)
            case .boolean(let b): out.append(b ? "true" : "false")
            case .metadata(let value):
                // The only metadata slot is the `error` object given as a dictionary (`CanonicalValue.slot`).
                guard case .dictionary(let d) = value else { return out.append("{}") }
                CanonicalValue.writeErrorObject(
                    type: CanonicalValue.text(d["type"]), message: values.redacted(CanonicalValue.text(d["message"])),
                    stack: values.redacted(CanonicalValue.text(d["stack"])), limit: limit, to: &out)
            case .sensitive(let text):
                values.mask(.sensitive, text, to: &out)
            }
        }

        func writeContext(limit: Int, values: RedactingWriter, to out: inout OutputBuffer) {
            out.append(FieldRules.key(.context))
            out.append(UInt8(ascii: "{"))
            var first = true
            func member(_ key: String, _ value: Logger.MetadataValue) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                values.member(key, value, depth: 1, audit: isAudit, to: &out)
            }
            if explicitHasContext, let explicit {
                for (key, value) in explicit where FieldLookup.field(named: key) == nil { member(key, value) }
            }
            if providedHasContext, let provided {
                for (key, value) in provided where FieldLookup.field(named: key) == nil {
                    if explicit?[key] != nil { continue }
                    member(key, value)
                }
            }
            if handlerHasContext {
                for (key, value) in handlerMetadata where FieldLookup.field(named: key) == nil {
                    if explicit?[key] != nil || provided?[key] != nil { continue }
                    member(key, value)
                }
            }
            slots.forEachRejected { field, slot in
                if case .metadata(let value) = slot.pointee { member(FieldCatalogue.spec(field).name, value) }
            }
            out.append(UInt8(ascii: "}"))
        }

        func writeLine(limit: Int, omitContext: Bool, to out: inout OutputBuffer) {
            if !scratch.redactedTypes.isEmpty { scratch.redactedTypes.removeAll(keepingCapacity: true) }
            if sensitiveSeen { scratch.redactedTypes.append(.sensitive) }
            let values = writer(limit)
            out.append("{\"timestamp\":\"")
            scratch.appendTimestamp(stamp.time, to: &out)
            out.append("\",\"level\":")
            out.append(Self.levelJSON(level))
            out.append(",\"message\":")
            values.string(message, to: &out)
            out.append(FieldRules.key(.event))
            if let slot = slots.slot(.event) { writeField(.event, slot, limit: limit, values: values, to: &out) } else { out.append("\"log\"") }
            out.append(FieldRules.key(.logger))
            out.appendJSONString(label, limit: limit)
            if let slot = slots.slot(.component) {
                out.append(FieldRules.key(.component))
                writeField(.component, slot, limit: limit, values: values, to: &out)
            }
            envelope.withUnsafeBufferPointer { out.append($0) }
            out.append(FieldRules.key(.eventID))
            out.append(UInt8(ascii: "\""))
            out.appendUUID(high: stamp.id.high, low: stamp.id.low)
            out.append(UInt8(ascii: "\""))
            out.append(FieldRules.key(.storageClass))
            out.append(UInt8(ascii: "\""))
            out.appendRaw(storageClass.name)
            out.append(UInt8(ascii: "\""))
            if limit != .max {
                out.append(FieldRules.key(.truncated))
                out.append("true")
            }
            slots.forEach(in: FieldID.requestID...FieldID.error) { field, slot in
                out.append(FieldRules.key(field))
                writeField(field, slot, limit: limit, values: values, to: &out)
            }
            if let sourceLocation {
                out.append(FieldRules.key(.source))
                out.append("{\"module\":")
                out.appendJSONString(sourceLocation.module, limit: limit)
                out.append(",\"file\":")
                out.appendJSONString(sourceLocation.file, limit: limit)
                out.append(",\"function\":")
                out.appendJSONString(sourceLocation.function, limit: limit)
                out.append(",\"line\":")
                out.appendDecimal(UInt64(sourceLocation.line))
                out.append(UInt8(ascii: "}"))
            }
            if !omitContext && (hasContext || slots.rejected != 0) { writeContext(limit: limit, values: values, to: &out) }
            if !scratch.redactedTypes.isEmpty {
                out.append(FieldRules.key(.redacted))
                out.append(UInt8(ascii: "["))
                for (i, type) in scratch.redactedTypes.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    out.appendJSONString(type.name)
                }
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "}"), UInt8(ascii: "\n"))
        }

        scratch.buffer.removeAll()
        writeLine(limit: .max, omitContext: false, to: &scratch.buffer)
        let reclassified = slots.rejected.nonzeroBitCount
        guard scratch.buffer.count > maxLineBytes else {
            return .written(storageClass: storageClass, truncated: false, reclassified: reclassified)
        }
        // Too long: cut strings ever shorter until it fits, then give up the free-form context.
        var limit = maxLineBytes / 4
        while true {
            scratch.buffer.removeAll()
            writeLine(limit: limit, omitContext: false, to: &scratch.buffer)
            if scratch.buffer.count <= maxLineBytes || limit <= Self.smallestStringLimit { break }
            limit = max(limit / 2, Self.smallestStringLimit)
        }
        if scratch.buffer.count > maxLineBytes {
            scratch.buffer.removeAll()
            writeLine(limit: limit, omitContext: true, to: &scratch.buffer)
        }
        return .written(storageClass: storageClass, truncated: true, reclassified: reclassified)
    }

    /// `"INFO"` and the others, quotes included, as static bytes.
    @inline(__always)
    static func levelJSON(_ level: Logger.Level) -> StaticString {
        switch level {
        case .trace: "\"TRACE\""
        case .debug: "\"DEBUG\""
        case .info: "\"INFO\""
        case .notice: "\"NOTICE\""
        case .warning: "\"WARN\""
        case .error: "\"ERROR\""
        case .critical: "\"CRITICAL\""
        }
    }

    /// The error's type as `Module.Outer.Name`, without the `(unknown context at $…)` parts Swift prints for
    /// types declared inside functions.
    static func typeName(of error: any Error) -> String {
        let full = String(reflecting: type(of: error))
        guard full.contains("(unknown context") else { return full }
        return full.split(separator: ".").filter { !$0.hasPrefix("(unknown context") }.joined(separator: ".")
    }

    /// Moves the canonical keys of `metadata` into `slots`; returns whether it has other (context) keys.
    @inline(__always)
    static func promote(_ metadata: Logger.Metadata, into slots: inout FieldSlots, sensitive: inout Bool) -> Bool {
        var hasContext = false
        for (key, value) in metadata {
            guard let field = FieldLookup.field(named: key) else {
                hasContext = true
                continue
            }
            let rule = FieldRules.rule(field)
            if rule.callerSettable, let slot = CanonicalValue.slot(value, rule.type), passesConstraints(field, slot, rule) {
                if case .string(let text) = slot, case .stringConvertible = value, value.isMarkedSensitive {
                    slots.set(field, .sensitive(text))
                    sensitive = true
                    continue
                }
                slots.set(field, slot)
            } else {
                slots.reject(field, .metadata(value))
            }
        }
        return hasContext
    }

    @inline(__always)
    static func passesConstraints(_ field: FieldID, _ value: SlotValue, _ rule: FieldRules.Rule) -> Bool {
        guard field == .event || rule.enumerated else { return true }
        guard case .string(let s) = value else { return false }
        if field == .event { return isEventName(s) }
        return FieldCatalogue.spec(field).allowedValues.contains(s)
    }

    /// `event` names are dotted lower-case words: `http.request`, `usage.recorded`.
    static func isEventName(_ name: String) -> Bool {
        var previousWasDot = true
        var count = 0
        for b in name.utf8 {
            count += 1
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                previousWasDot = false
            case UInt8(ascii: "."):
                if previousWasDot { return false }
                previousWasDot = true
            default:
                return false
            }
        }
        return count > 0 && !previousWasDot
    }
}
