import Logging

/// The value of a canonical field, as gathered and already checked against the field's type: strings and numbers
/// unboxed (so nothing existential is kept, copied or destroyed per field), anything else as the metadata value,
/// or a marker for values read from the task's context or the call's error.
enum SlotValue {
    case string(String)
    case integer(Int64)
    case number(Double)
    case boolean(Bool)
    /// A value written as given: the `error` object given as metadata, or a rejected value (kept under `context`).
    /// Boxed (`indirect`), so that the common cases copy as a plain integer or one reference count instead of
    /// through the runtime's value witnesses; these cases are rare.
    indirect case metadata(Logger.MetadataValue)
    /// A value the application marked ``Sensitivity/sensitive``: written masked, never as given.
    case sensitive(String)
    /// The task's ``LogContext`` holds it.
    case context
    /// Derived from the call's `error` (its ``ClassifiedError`` code and retryability, or the error object).
    case fromError
}

/// The canonical fields of the event being encoded: one slot per ``FieldID``, filled from the metadata sources in
/// priority order, then written in field order.
///
/// The slot storage is allocated once per thread (``EncodeScratch`` owns it); a `FieldSlots` value is a view on it
/// plus two bit masks saying which slots hold a value. ``clear()`` must be called when the event is done.
struct FieldSlots {
    private let refs: UnsafeMutablePointer<SlotValue>
    /// Metadata that named a canonical field but could not be used (wrong type, or a field only Keel sets). It is
    /// written under `context` with its original key, so nothing is lost and nothing is overwritten.
    private let rejectedRefs: UnsafeMutablePointer<SlotValue>
    private(set) var present: UInt64 = 0
    private(set) var rejected: UInt64 = 0

    /// Storage for one thread's slots: two arrays of ``FieldID/count`` refs.
    static func allocateStorage() -> (UnsafeMutablePointer<SlotValue>, UnsafeMutablePointer<SlotValue>) {
        precondition(FieldID.count <= 64, "FieldSlots keeps one bit per field")
        return (.allocate(capacity: FieldID.count), .allocate(capacity: FieldID.count))
    }

    @inline(__always)
    init(storage: (UnsafeMutablePointer<SlotValue>, UnsafeMutablePointer<SlotValue>)) {
        refs = storage.0
        rejectedRefs = storage.1
    }

    @inline(__always)
    func has(_ field: FieldID) -> Bool { present & (1 << UInt64(field.rawValue)) != 0 }

    /// The slot of `field`, if set; read in place.
    @inline(__always)
    func slot(_ field: FieldID) -> UnsafeMutablePointer<SlotValue>? {
        has(field) ? refs + Int(field.rawValue) : nil
    }

    /// Sets a field; a later source replaces an earlier one and clears a rejection of the same key.
    @inline(__always)
    mutating func set(_ field: FieldID, _ value: consuming SlotValue) {
        let bit: UInt64 = 1 << UInt64(field.rawValue)
        let i = Int(field.rawValue)
        if present & bit != 0 {
            refs[i] = value
        } else {
            (refs + i).initialize(to: value)
            present |= bit
        }
        if rejected & bit != 0 {
            (rejectedRefs + i).deinitialize(count: 1)
            rejected &= ~bit
        }
    }

    /// Records metadata that named `field` but could not be used (with its key, which is the field's name); it
    /// replaces an earlier rejection of the same key.
    @inline(__always)
    mutating func reject(_ field: FieldID, _ value: consuming SlotValue) {
        let bit: UInt64 = 1 << UInt64(field.rawValue)
        let i = Int(field.rawValue)
        if rejected & bit != 0 {
            rejectedRefs[i] = value
        } else {
            (rejectedRefs + i).initialize(to: value)
            rejected |= bit
        }
    }

    /// Tears down the values of this event; the storage stays for the next one.
    @inline(__always)
    mutating func clear() {
        Self.tearDown(refs, present)
        Self.tearDown(rejectedRefs, rejected)
        present = 0
        rejected = 0
    }

    @inline(__always)
    private static func tearDown(_ storage: UnsafeMutablePointer<SlotValue>, _ mask: UInt64) {
        var mask = mask
        while mask != 0 {
            (storage + mask.trailingZeroBitCount).deinitialize(count: 1)
            mask &= mask - 1
        }
    }

    /// Calls `body` with every set field in `range`, in output order.
    @inline(__always)
    func forEach(in range: ClosedRange<FieldID>, _ body: (FieldID, UnsafeMutablePointer<SlotValue>) -> Void) {
        var mask = present & Self.mask(range)
        while mask != 0 {
            let raw = UInt8(truncatingIfNeeded: mask.trailingZeroBitCount)
            body(FieldID.unchecked(raw), refs + Int(raw))
            mask &= mask - 1
        }
    }

    /// Calls `body` with every rejected field, in field order.
    @inline(__always)
    func forEachRejected(_ body: (FieldID, UnsafeMutablePointer<SlotValue>) -> Void) {
        var mask = rejected
        while mask != 0 {
            let raw = UInt8(truncatingIfNeeded: mask.trailingZeroBitCount)
            body(FieldID.unchecked(raw), rejectedRefs + Int(raw))
            mask &= mask - 1
        }
    }

    @inline(__always)
    static func mask(_ range: ClosedRange<FieldID>) -> UInt64 {
        let low = UInt64(range.lowerBound.rawValue)
        let high = UInt64(range.upperBound.rawValue)
        let upTo: UInt64 = high >= 63 ? ~0 : (1 << (high + 1)) - 1
        return upTo & ~((1 << low) - 1)
    }
}
