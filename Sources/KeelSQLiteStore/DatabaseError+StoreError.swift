public import GRDB
public import KeelStore

/// SQLite answers `SQLITE_FULL` when a write meets `ENOSPC` (or the database's size limit).
extension DatabaseError: StoreError {
    public var isStorageFull: Bool { resultCode == .SQLITE_FULL }
}
