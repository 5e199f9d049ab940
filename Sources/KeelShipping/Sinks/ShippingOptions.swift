/// How a ``ShippingSink`` buffers, batches and retries.
public struct ShippingOptions: Sendable {
    /// Where the disk spool lives: audit and cost lines are always spooled here before they are sent (a sink taking
    /// them needs one), and operational lines too with ``spoolsOperationalLines``. Spooled lines survive the process
    /// and the server being down.
    public var spoolDirectory: String?
    /// Whether operational lines are spooled on disk as well (in `ops/` under the spool directory). Off by default:
    /// they wait in memory (``memoryCapacity``), as in Vector's and Fluent Bit's default buffers, and a process that
    /// dies loses those not yet sent.
    public var spoolsOperationalLines: Bool = false
    /// Most bytes of operational lines waiting in memory; past it the oldest are dropped (and counted).
    public var memoryCapacity: Int = 32 << 20
    /// Most bytes each disk spool keeps; past it the oldest operational lines are dropped (and counted), while audit
    /// and cost lines wait for room.
    public var spoolCapacity: Int = 256 << 20
    /// Whether a full buffer of operational lines makes the writer wait rather than drop the oldest. Audit and cost
    /// lines always wait.
    public var blocksWhenFull: Bool = false
    /// When spooled lines are forced to disk (milliseconds between fsyncs; 0: every line).
    public var fsyncIntervalMilliseconds: Int = 500
    /// Bytes of lines gathered in memory before they are written to the spool's file (0: each line written as it
    /// comes). Only for a writer that can read its lines again after a crash, as `keel ship` does from its files.
    package var spoolWriteBuffer: Int = 0
    /// Lines are sent within about 50 ms of being written, in batches of at most this many lines and bytes.
    public var batchMaxLines: Int = 1000
    public var batchMaxBytes: Int = 1 << 20
    /// Batches sent at once (each acknowledged in the spool in order): two let encoding, the network and the
    /// server's work overlap. 1 keeps every stream's entries strictly in order at a Loki that refuses out-of-order
    /// writes (Loki accepts them by default since 2.4).
    public var concurrency: Int = 2
    /// How long one attempt may take.
    public var timeout: Duration = .seconds(10)
    /// How long ``ShippingSink/flush()`` (and so `Keel.flush()` and closing) waits for the server to have every line;
    /// what it does not get meanwhile stays in the spool.
    public var flushTimeout: Duration = .seconds(10)
    /// The first retry's wait, and the longest.
    public var retryInitial: Duration = .milliseconds(200)
    public var retryMaximum: Duration = .seconds(30)

    /// - Parameter spoolDirectory: the disk spool's directory; `nil` for a sink of operational lines buffered in
    ///   memory only.
    public init(spoolDirectory: String?) {
        self.spoolDirectory = spoolDirectory
    }
}
