/// An error a store throws that its callers must tell apart, without knowing the store's engine.
public protocol StoreError: Error {
    /// Whether the disk (or the store's size limit) is full: nothing more can be written until space returns, and
    /// what was being written was not stored.
    var isStorageFull: Bool { get }
}

/// What a store's error means to its callers.
public enum StoreFailure {
    /// Whether `error` says the store is full (``StoreError/isStorageFull``).
    public static func isStorageFull(_ error: any Error) -> Bool {
        (error as? any StoreError)?.isStorageFull ?? false
    }
}
