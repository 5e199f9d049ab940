import Logging

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

/// What gathering found besides the slots: whether a sensitive value was seen, and which sources have `context`
/// members (keys that name no canonical field).
struct GatheredFlags {
    var sensitiveSeen = false
    var handlerHasContext = false
    var providedHasContext = false
    var explicitHasContext = false

    var hasContext: Bool { handlerHasContext || providedHasContext || explicitHasContext }
}

/// Stage one of an event's way: gather. Every source's canonical fields go into ``FieldSlots`` under the
/// locked-field rules, lowest priority first — the call's `error` (its classification), the handler's metadata, the
/// task's ``LogContext``, the metadata provider, the call's metadata, then the call's `error` object — so a later
/// source replaces an earlier one's value. Each metadata value is copied once, into its slot; no merged metadata is
/// built.
extension EventEncoder {
    @inline(__always)
    static func gather(
        errorFields: ErrorFields?, handlerMetadata: Logger.Metadata, context: LogContext, provided: Logger.Metadata?,
        explicit: Logger.Metadata?, into slots: inout FieldSlots
    ) -> GatheredFlags {
        var flags = GatheredFlags()
        if let errorFields {
            if errorFields.code != nil { slots.set(.errorCode, .fromError) }
            if errorFields.retryable != nil { slots.set(.retryable, .fromError) }
        }
        if !handlerMetadata.isEmpty { flags.handlerHasContext = promote(handlerMetadata, into: &slots, sensitive: &flags.sensitiveSeen) }
        if !context.isEmpty { context.forEachField { field, _ in slots.set(field, .context) } }
        if let provided, !provided.isEmpty { flags.providedHasContext = promote(provided, into: &slots, sensitive: &flags.sensitiveSeen) }
        if let explicit, !explicit.isEmpty { flags.explicitHasContext = promote(explicit, into: &slots, sensitive: &flags.sensitiveSeen) }
        if errorFields != nil { slots.set(.error, .fromError) }
        return flags
    }

    /// A gathered string field's value: from its slot, or from the task's context.
    @inline(__always)
    static func stringValue(_ field: FieldID, _ slots: FieldSlots, context: LogContext) -> String? {
        guard let slot = slots.slot(field) else { return nil }
        switch slot.pointee {
        case .context: return context[field]
        case .string(let s): return s
        default: return nil
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
        if field == .event { return FieldCatalogue.isEventName(s) }
        return FieldCatalogue.spec(field).allowedValues.contains(s)
    }
}
