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

/// What one log call brings, borrowed for the duration of the encode.
struct EventInput {
    var time: Timestamp
    /// The `event_id`, made once so that a re-encode (to cut an over-long line) keeps it.
    var id: (high: UInt64, low: UInt64)
    var event: LogEvent
    var label: String
    var handlerMetadata: Logger.Metadata
    var context: LogContext
    var provided: Logger.Metadata?
}

/// Counts what gathering found, for ``Diagnostics``.
struct GatherResult {
    /// Metadata keys naming canonical fields that could not be used and went to `context`.
    var reclassified = 0
    /// Whether each source had non-canonical keys (so the context pass can skip sources that have none).
    var handlerHasContext = false
    var providedHasContext = false
    var explicitHasContext = false

    var hasContext: Bool { handlerHasContext || providedHasContext || explicitHasContext }
}

/// Builds schema v1 lines: gathers the canonical fields from every metadata source under the locked-field rules,
/// then writes them as one JSON object in catalogue order.
///
/// Sources, lowest priority first: the error's classification, the handler's metadata, the task's
/// ``LogContext``, the metadata provider, the call's metadata, then the call's `error`. A later source replaces an
/// earlier one's value for the same key.
public struct EventEncoder: Sendable {
    /// `,"service":…,"env":…,"version":…,"host":…,"pid":…,"schema_version":1`, encoded once.
    let envelope: [UInt8]
    let maxLineBytes: Int
    let sourceLocations: SourceLocationPolicy

    /// The most nesting written under `context`; deeper values are written as a marker string.
    static let maxDepth = 32
    /// The smallest per-string limit tried when a line is too long.
    static let smallestStringLimit = 32

    public init(
        service: String, environment: String?, version: String?, host: String?, pid: Int?,
        maxLineBytes: Int = 16 * 1024, sourceLocations: SourceLocationPolicy = .atOrAbove(.warning)
    ) {
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

    // MARK: - Gather

    func gather(_ input: borrowing EventInput, into slots: inout FieldSlots) -> GatherResult {
        var result = GatherResult()
        if let classified = input.event.error as? any ClassifiedError {
            slots.set(.errorCode, .string(classified.errorCode))
            if let retryable = classified.isRetryable { slots.set(.retryable, .boolean(retryable)) }
        }
        if !input.handlerMetadata.isEmpty {
            result.handlerHasContext = Self.promote(input.handlerMetadata, into: &slots)
        }
        input.context.forEachField { field, value in slots.set(field, .string(value)) }
        if let provided = input.provided, !provided.isEmpty {
            result.providedHasContext = Self.promote(provided, into: &slots)
        }
        if let explicit = input.event.metadata, !explicit.isEmpty {
            result.explicitHasContext = Self.promote(explicit, into: &slots)
        }
        if let error = input.event.error {
            slots.set(
                .error,
                .error(type: Self.typeName(of: error), message: String(describing: error), stack: nil))
        }
        result.reclassified = slots.rejected.nonzeroBitCount
        return result
    }

    /// The error's type as `Module.Outer.Name`, without the `(unknown context at $…)` parts Swift prints for
    /// types declared inside functions.
    static func typeName(of error: any Error) -> String {
        let full = String(reflecting: type(of: error))
        guard full.contains("(unknown context") else { return full }
        return full.split(separator: ".").filter { !$0.hasPrefix("(unknown context") }.joined(separator: ".")
    }

    /// Moves canonical keys of `metadata` into `slots`; returns whether it has other (context) keys.
    @inline(__always)
    static func promote(_ metadata: Logger.Metadata, into slots: inout FieldSlots) -> Bool {
        var hasContext = false
        for (key, value) in metadata {
            guard let field = FieldLookup.field(named: key) else {
                hasContext = true
                continue
            }
            let rule = FieldRules.rule(field)
            if rule.callerSettable, let checked = FieldValue.checking(value, against: rule.type),
                Self.passesConstraints(field, checked, rule)
            {
                slots.set(field, checked)
            } else {
                slots.reject(field, value)
            }
        }
        return hasContext
    }

    @inline(__always)
    static func passesConstraints(_ field: FieldID, _ value: FieldValue, _ rule: FieldRules.Rule) -> Bool {
        if field == .event, case .string(let name) = value { return isEventName(name) }
        if rule.enumerated {
            guard case .string(let s) = value else { return false }
            return FieldCatalogue.spec(field).allowedValues.contains(s)
        }
        return true
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

    /// The storage class the gathered fields give the event.
    @inline(__always)
    static func storageClass(of slots: borrowing FieldSlots) -> StorageClass {
        guard case .string(let name)? = slots[.storageClass] else { return .ops }
        return StorageClass(name: name) ?? .ops
    }

    // MARK: - Write

    /// Writes the line (with its trailing newline) to `out`, keeping it within ``maxLineBytes`` by cutting the
    /// longest strings and marking the event `truncated`. Returns whether it had to cut.
    @discardableResult
    func write(
        _ input: borrowing EventInput, slots: borrowing FieldSlots, gathered: GatherResult,
        scratch: EncodeScratch, to out: inout OutputBuffer
    ) -> Bool {
        let start = out.count
        writeLine(input, slots: slots, gathered: gathered, scratch: scratch, stringLimit: .max, omitContext: false, to: &out)
        if out.count - start <= maxLineBytes { return false }
        // Too long: cut strings ever shorter until it fits, then give up the free-form context.
        var limit = maxLineBytes / 4
        while true {
            out.truncate(to: start)
            writeLine(input, slots: slots, gathered: gathered, scratch: scratch, stringLimit: limit, omitContext: false, to: &out)
            if out.count - start <= maxLineBytes { return true }
            if limit <= Self.smallestStringLimit { break }
            limit = max(limit / 2, Self.smallestStringLimit)
        }
        out.truncate(to: start)
        writeLine(input, slots: slots, gathered: gathered, scratch: scratch, stringLimit: limit, omitContext: true, to: &out)
        return true
    }

    private func writeLine(
        _ input: borrowing EventInput, slots: borrowing FieldSlots, gathered: GatherResult, scratch: EncodeScratch,
        stringLimit: Int, omitContext: Bool, to out: inout OutputBuffer
    ) {
        let truncated = stringLimit != .max
        out.append("{\"timestamp\":\"")
        scratch.appendTimestamp(input.time, to: &out)
        out.append("\",\"level\":\"")
        out.appendRaw(input.event.level.canonicalName)
        out.append("\",\"message\":")
        out.appendJSONString(input.event.message.description, limit: stringLimit)
        out.append(FieldRules.key(.event))
        if let event = slots[.event] {
            Self.writeValue(event, limit: stringLimit, to: &out)
        } else {
            out.append("\"log\"")
        }
        out.append(FieldRules.key(.logger))
        out.appendJSONString(input.label, limit: stringLimit)
        if let component = slots[.component] {
            out.append(FieldRules.key(.component))
            Self.writeValue(component, limit: stringLimit, to: &out)
        }
        envelope.withUnsafeBufferPointer { out.append($0) }
        out.append(FieldRules.key(.eventID))
        out.append(UInt8(ascii: "\""))
        out.appendUUID(high: input.id.high, low: input.id.low)
        out.append(UInt8(ascii: "\""))
        out.append(FieldRules.key(.storageClass))
        if let storageClass = slots[.storageClass] {
            Self.writeValue(storageClass, limit: stringLimit, to: &out)
        } else {
            out.append("\"ops\"")
        }
        if truncated {
            out.append(FieldRules.key(.truncated))
            out.append("true")
        }
        slots.forEach(in: FieldID.requestID...FieldID.error) { field, value in
            out.append(FieldRules.key(field))
            Self.writeValue(value, limit: stringLimit, to: &out)
        }
        if sourceLocations.includes(input.event.level) {
            out.append(FieldRules.key(.source))
            out.append("{\"module\":")
            out.appendJSONString(input.event.source, limit: stringLimit)
            out.append(",\"file\":")
            out.appendJSONString(input.event.file, limit: stringLimit)
            out.append(",\"function\":")
            out.appendJSONString(input.event.function, limit: stringLimit)
            out.append(",\"line\":")
            out.appendDecimal(UInt64(input.event.line))
            out.append(UInt8(ascii: "}"))
        }
        if !omitContext && (gathered.hasContext || slots.rejected != 0) {
            writeContext(input, slots: slots, gathered: gathered, stringLimit: stringLimit, to: &out)
        }
        out.append(UInt8(ascii: "}"), UInt8(ascii: "\n"))
    }

    /// `"context":{…}`: every non-canonical key (the call's over the provider's over the handler's), then the
    /// rejected canonical keys with their original values.
    private func writeContext(
        _ input: borrowing EventInput, slots: borrowing FieldSlots, gathered: GatherResult, stringLimit: Int,
        to out: inout OutputBuffer
    ) {
        out.append(FieldRules.key(.context))
        out.append(UInt8(ascii: "{"))
        var first = true
        func member(_ key: String, _ value: Logger.MetadataValue) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.appendJSONString(key, limit: stringLimit)
            out.append(UInt8(ascii: ":"))
            Self.writeMetadataValue(value, depth: 1, limit: stringLimit, to: &out)
        }
        let explicit = input.event.metadata
        let provided = input.provided
        if gathered.explicitHasContext, let explicit {
            for (key, value) in explicit where FieldLookup.field(named: key) == nil { member(key, value) }
        }
        if gathered.providedHasContext, let provided {
            for (key, value) in provided where FieldLookup.field(named: key) == nil {
                if explicit?[key] != nil { continue }
                member(key, value)
            }
        }
        if gathered.handlerHasContext {
            for (key, value) in input.handlerMetadata where FieldLookup.field(named: key) == nil {
                if explicit?[key] != nil || provided?[key] != nil { continue }
                member(key, value)
            }
        }
        slots.forEachRejected { field, value in member(FieldCatalogue.spec(field).name, value) }
        out.append(UInt8(ascii: "}"))
    }

    @inline(__always)
    static func writeValue(_ value: FieldValue, limit: Int, to out: inout OutputBuffer) {
        switch value {
        case .string(let s): out.appendJSONString(s, limit: limit)
        case .describing(let c): out.appendJSONString(c.description, limit: limit)
        case .integer(let i): out.appendDecimal(i)
        case .number(let d): out.appendJSONNumber(d)
        case .boolean(let b): out.append(b ? "true" : "false")
        case .error(let type, let message, let stack):
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
    }

    /// Writes free-form metadata keeping JSON types: integers, floating-point numbers and booleans passed as
    /// `.stringConvertible` become numbers and booleans; dictionaries and arrays nest as given.
    static func writeMetadataValue(_ value: Logger.MetadataValue, depth: Int, limit: Int, to out: inout OutputBuffer) {
        switch value {
        case .string(let s):
            out.appendJSONString(s, limit: limit)
        case .stringConvertible(let c):
            switch Scalar.of(c) {
            case .integer(let i): out.appendDecimal(i)
            case .unsigned(let u): out.appendDecimal(u)
            case .number(let d): out.appendJSONNumber(d)
            case .boolean(let b): out.append(b ? "true" : "false")
            case .other: out.appendJSONString(c.description, limit: limit)
            }
        case .dictionary(let d):
            guard depth < maxDepth else { return out.append("\"[nested too deep]\"") }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in d {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.appendJSONString(k, limit: limit)
                out.append(UInt8(ascii: ":"))
                writeMetadataValue(v, depth: depth + 1, limit: limit, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let a):
            guard depth < maxDepth else { return out.append("\"[nested too deep]\"") }
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeMetadataValue(v, depth: depth + 1, limit: limit, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }
}
