import GRDB

/// What a store's error means to its callers, without their knowing SQLite.
public enum StoreFailure {
    /// Whether `error` says the disk (or the database's size limit) is full: nothing more can be written until space
    /// returns, and what was being written was not stored.
    public static func isStorageFull(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        // SQLite answers SQLITE_FULL when a write meets ENOSPC.
        return error.resultCode == .SQLITE_FULL
    }
}
