import Logging

/// The canonical fields of the event being encoded: one slot per ``FieldID``, filled from the metadata sources in
/// priority order, then written in field order.
///
/// Storage is allocated once per thread (it lives in ``EncodeScratch``) and only the slots in use are initialised
/// and torn down, tracked by bit masks, so gathering an event allocates nothing.
struct FieldSlots: ~Copyable {
    private let values: UnsafeMutablePointer<FieldValue>
    /// Metadata that named a canonical field but could not be used (wrong type, or a field only Keel sets). It is
    /// kept under `context` with its original key, so nothing is lost and nothing is overwritten.
    private let rejectedValues: UnsafeMutablePointer<Logger.MetadataValue>
    private(set) var present: UInt64 = 0
    private(set) var rejected: UInt64 = 0

    init() {
        precondition(FieldID.count <= 64, "FieldSlots keeps one bit per field")
        values = .allocate(capacity: FieldID.count)
        rejectedValues = .allocate(capacity: FieldID.count)
    }

    deinit {
        Self.tearDown(values, present)
        Self.tearDown(rejectedValues, rejected)
        values.deallocate()
        rejectedValues.deallocate()
    }

    @inline(__always)
    func has(_ field: FieldID) -> Bool { present & (1 << UInt64(field.rawValue)) != 0 }

    @inline(__always)
    subscript(field: FieldID) -> FieldValue? {
        has(field) ? values[Int(field.rawValue)] : nil
    }

    /// Sets a field; a later source replaces an earlier one and clears a rejection of the same key.
    @inline(__always)
    mutating func set(_ field: FieldID, _ value: FieldValue) {
        let bit: UInt64 = 1 << UInt64(field.rawValue)
        let i = Int(field.rawValue)
        if present & bit != 0 {
            values[i] = value
        } else {
            (values + i).initialize(to: value)
            present |= bit
        }
        if rejected & bit != 0 {
            (rejectedValues + i).deinitialize(count: 1)
            rejected &= ~bit
        }
    }

    /// Records metadata that named `field` but could not be used; it replaces an earlier rejection of the same key.
    @inline(__always)
    mutating func reject(_ field: FieldID, _ value: Logger.MetadataValue) {
        let bit: UInt64 = 1 << UInt64(field.rawValue)
        let i = Int(field.rawValue)
        if rejected & bit != 0 {
            rejectedValues[i] = value
        } else {
            (rejectedValues + i).initialize(to: value)
            rejected |= bit
        }
    }

    @inline(__always)
    func rejectedValue(_ field: FieldID) -> Logger.MetadataValue { rejectedValues[Int(field.rawValue)] }

    /// Calls `body` with every set field in `range`, in output order.
    @inline(__always)
    func forEach(in range: ClosedRange<FieldID>, _ body: (FieldID, FieldValue) -> Void) {
        var mask = present & Self.mask(range)
        while mask != 0 {
            let raw = UInt8(mask.trailingZeroBitCount)
            body(FieldID(rawValue: raw)!, values[Int(raw)])
            mask &= mask - 1
        }
    }

    /// Calls `body` with every rejected field, in field order.
    @inline(__always)
    func forEachRejected(_ body: (FieldID, Logger.MetadataValue) -> Void) {
        var mask = rejected
        while mask != 0 {
            let raw = UInt8(mask.trailingZeroBitCount)
            body(FieldID(rawValue: raw)!, rejectedValues[Int(raw)])
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

    /// Tears down every set slot; the storage stays for the next event.
    @inline(__always)
    mutating func clear() {
        if present != 0 { Self.tearDown(values, present) }
        if rejected != 0 { Self.tearDown(rejectedValues, rejected) }
        present = 0
        rejected = 0
    }

    @inline(__always)
    private static func tearDown<T>(_ storage: UnsafeMutablePointer<T>, _ mask: UInt64) {
        var mask = mask
        while mask != 0 {
            (storage + mask.trailingZeroBitCount).deinitialize(count: 1)
            mask &= mask - 1
        }
    }
}
