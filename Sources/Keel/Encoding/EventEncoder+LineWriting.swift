import Logging

/// What one event's line is written from: the call's parts and every metadata source, as gathered. Passed by value
/// to the writing functions, which borrow it: building it copies a few references once per event.
struct LineSources {
    let level: Logger.Level
    let message: String
    let label: String
    let source: CallSite?
    let handlerMetadata: Logger.Metadata
    let context: LogContext
    let provided: Logger.Metadata?
    let explicit: Logger.Metadata?
    let errorFields: ErrorFields?
    let flags: GatheredFlags
    let storageClass: StorageClass
    let stamp: EventStamp
}

/// Stage three of an event's way: redact and encode. The gathered fields are written as one JSON object in catalogue
/// order, every string through the ``RedactingWriter`` (the redaction engine's string detectors, the line's string
/// limit), `context` members through the key rules; what was removed is listed in `redacted`.
extension EventEncoder {
    /// Writes the line, its strings cut to `limit` bytes (`.max`: uncut), without `context` when `omitContext`.
    @inline(__always)
    func writeLine(
        _ event: borrowing LineSources, _ slots: FieldSlots, limit: Int, omitContext: Bool, scratch: EncodeScratch,
        to out: inout OutputBuffer
    ) {
        if !scratch.redactedTypes.isEmpty { scratch.redactedTypes.removeAll(keepingCapacity: true) }
        if event.flags.sensitiveSeen { scratch.redactedTypes.append(.sensitive) }
        let values = RedactingWriter(strings: strings, limit: limit, scratch: scratch)
        out.append("{\"timestamp\":\"")
        scratch.appendTimestamp(event.stamp.time, to: &out)
        out.append("\",\"level\":")
        out.append(Self.levelJSON(event.level))
        out.append(",\"message\":")
        values.string(event.message, to: &out)
        out.append(FieldRules.key(.event))
        if let slot = slots.slot(.event) {
            Self.writeField(.event, slot, event, limit: limit, values: values, to: &out)
        } else {
            out.append("\"log\"")
        }
        out.append(FieldRules.key(.logger))
        out.appendJSONString(event.label, limit: limit)
        if let slot = slots.slot(.component) {
            out.append(FieldRules.key(.component))
            Self.writeField(.component, slot, event, limit: limit, values: values, to: &out)
        }
        envelope.withUnsafeBufferPointer { out.append($0) }
        out.append(FieldRules.key(.eventID))
        out.append(UInt8(ascii: "\""))
        out.appendUUID(high: event.stamp.id.high, low: event.stamp.id.low)
        out.append(UInt8(ascii: "\""))
        out.append(FieldRules.key(.storageClass))
        out.append(UInt8(ascii: "\""))
        out.appendRaw(event.storageClass.name)
        out.append(UInt8(ascii: "\""))
        if limit != .max {
            out.append(FieldRules.key(.truncated))
            out.append("true")
        }
        slots.forEach(in: FieldID.requestID...FieldID.error) { field, slot in
            out.append(FieldRules.key(field))
            Self.writeField(field, slot, event, limit: limit, values: values, to: &out)
        }
        if let site = event.source {
            out.append(FieldRules.key(.source))
            out.append("{\"module\":")
            out.appendJSONString(site.module, limit: limit)
            out.append(",\"file\":")
            out.appendJSONString(site.file, limit: limit)
            out.append(",\"function\":")
            out.appendJSONString(site.function, limit: limit)
            out.append(",\"line\":")
            out.appendDecimal(UInt64(site.line))
            out.append(UInt8(ascii: "}"))
        }
        if !omitContext && (event.flags.hasContext || slots.rejected != 0) {
            Self.writeContext(event, slots, values: values, to: &out)
        }
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

    /// One gathered field's value.
    @inline(__always)
    static func writeField(
        _ field: FieldID, _ slot: UnsafeMutablePointer<SlotValue>, _ event: borrowing LineSources, limit: Int,
        values: RedactingWriter, to out: inout OutputBuffer
    ) {
        switch slot.pointee {
        case .context:
            values.string(event.context[field] ?? "", to: &out)
        case .fromError:
            switch field {
            case .errorCode: out.appendJSONString(event.errorFields?.code ?? "", limit: limit)
            case .retryable: out.append(event.errorFields?.retryable == true ? "true" : "false")
            default:
                writeErrorObject(
                    type: event.errorFields?.type, message: values.redacted(event.errorFields?.message), stack: nil,
                    limit: limit, to: &out)
            }
        case .string(let s): values.string(s, to: &out)
        case .integer(let i): out.appendDecimal(i)
        case .number(let d): out.appendJSONNumber(d)
        case .boolean(let b): out.append(b ? "true" : "false")
        case .metadata(let value):
            // The only metadata slot is the `error` object given as a dictionary (`CanonicalValue.slot`).
            guard case .dictionary(let d) = value else { return out.append("{}") }
            writeErrorObject(
                type: CanonicalValue.text(d["type"]), message: values.redacted(CanonicalValue.text(d["message"])),
                stack: values.redacted(CanonicalValue.text(d["stack"])), limit: limit, to: &out)
        case .sensitive(let text):
            values.mask(.sensitive, text, to: &out)
        }
    }

    /// `context`: every metadata key that names no canonical field, the call's first, then the provider's, then the
    /// handler's (a key given twice is written once, from the higher source), then the values refused by their fields.
    static func writeContext(
        _ event: borrowing LineSources, _ slots: FieldSlots, values: RedactingWriter, to out: inout OutputBuffer
    ) {
        let isAudit = event.storageClass == .audit
        out.append(FieldRules.key(.context))
        out.append(UInt8(ascii: "{"))
        var first = true
        func member(_ key: String, _ value: Logger.MetadataValue) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            values.member(key, value, depth: 1, audit: isAudit, to: &out)
        }
        let explicit = event.explicit
        let provided = event.provided
        if event.flags.explicitHasContext, let explicit {
            for (key, value) in explicit where FieldLookup.field(named: key) == nil { member(key, value) }
        }
        if event.flags.providedHasContext, let provided {
            for (key, value) in provided where FieldLookup.field(named: key) == nil {
                if explicit?[key] != nil { continue }
                member(key, value)
            }
        }
        if event.flags.handlerHasContext {
            for (key, value) in event.handlerMetadata where FieldLookup.field(named: key) == nil {
                if explicit?[key] != nil || provided?[key] != nil { continue }
                member(key, value)
            }
        }
        slots.forEachRejected { field, slot in
            if case .metadata(let value) = slot.pointee { member(FieldCatalogue.spec(field).name, value) }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The `error` object, its members in schema order.
    static func writeErrorObject(type: String?, message: String?, stack: String?, limit: Int, to out: inout OutputBuffer) {
        out.append(UInt8(ascii: "{"))
        var first = true
        func member(_ key: StaticString, _ text: String?) {
            guard let text else { return }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(key)
            out.appendJSONString(text, limit: limit)
        }
        member("\"type\":", type)
        member("\"message\":", message)
        member("\"stack\":", stack)
        out.append(UInt8(ascii: "}"))
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
}
