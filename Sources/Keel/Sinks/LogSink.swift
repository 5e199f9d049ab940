public import Logging

/// A destination for encoded lines: the console, a file, a server.
///
/// ## Contract
/// - `write` receives one complete, redacted line in schema v1, ending in `\n`. The bytes are only valid during
///   the call: copy what you keep. Lines arrive in the order they were logged on each thread.
/// - `write` never throws and never traps. A sink that cannot write counts the failure in ``Diagnostics`` and
///   reports it on stderr once per distinct failure; it keeps trying with the next line.
/// - `write` may be called from many threads at once; a sink serialises as it needs.
/// - `flush` returns once every line written before the call is handed to the operating system (or further, as the
///   sink documents). `close` flushes and releases resources; lines written after `close` are dropped and counted.
/// - ``accepts(_:)`` routes by storage class; it is called for every event, so it must be cheap.
public protocol LogSink: AnyObject, Sendable {
    /// Whether this sink takes events of `storageClass`.
    func accepts(_ storageClass: StorageClass) -> Bool
    /// Whether what it writes outlives the process (a file, a server): checked in production for `audit` and
    /// `cost` events, which must not reach only the console or memory.
    var isDurable: Bool { get }
    /// A name for counters and messages (`file:/var/log/app.log`, `console` …).
    var name: String { get }
    func write(_ line: UnsafeRawBufferPointer, level: Logger.Level, storageClass: StorageClass)
    /// Whether the pipeline should call ``endBatch()`` after each batch of lines (false by default).
    var wantsBatchEnds: Bool { get }
    /// Called after each batch of lines: by the writer thread after each batch it takes from the queue, and after
    /// every line with synchronous delivery. Where a sink that syncs to disk does it once for many lines.
    func endBatch()
    func flush()
    func close()
    /// For a sink that sends lines elsewhere: how delivery is going (`nil`, the default, for the others). Listed in
    /// ``Diagnostics/deliveries``.
    var deliveryStatus: DeliveryStatus? { get }
}

extension LogSink {
    public var wantsBatchEnds: Bool { false }
    public func endBatch() {}
    public func accepts(_ storageClass: StorageClass) -> Bool { true }
    public var isDurable: Bool { false }
    public var name: String { String(describing: type(of: self)) }
    public var deliveryStatus: DeliveryStatus? { nil }
}
