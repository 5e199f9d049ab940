import NIOPosix

/// Runs store work (SQLite calls block) on NIO's thread pool, never on an event loop or the cooperative pool.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}
