import Foundation

/// Runs minutes of synchronous store work on a thread of its own, not on one of the few threads Swift's concurrency
/// shares with every other test: the suite runs in parallel on two cores, and a long synchronous test there stalls
/// the servers of the others (their timeouts then fire for no fault of theirs).
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
