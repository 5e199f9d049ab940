import AsyncHTTPClient
import CoreMetrics
import Foundation
import Keel
import KeelWire
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends a spool's batches to a destination on threads of its own (never on Swift's cooperative pool, which a
/// service's tasks — or a test's — may be holding), up to the options' `concurrency` batches at once, each read after
/// the one before and acknowledged in the spool in that order (``SendWindow``) and only once the server answered
/// 2xx; a network error, a timeout, a 429 or a 5xx is retried with backoff (as ``DeliveryRetry`` decides, without
/// limit: the spool holds the lines meanwhile); any other status drops the batch — its audit and cost lines into the
/// dead-letter file — since sending it again cannot change the answer.
final class BatchSender: Sendable {
    let spool: Spool
    let destination: ShippingDestination
    let options: ShippingOptions
    let statistics = Mutex(ShippingStatistics())
    /// From a line's write to its acknowledgement.
    let latency: Mutex<DeliveryLatency>
    let metrics: ShippingMetrics
    private let retry: DeliveryRetry
    private let stopping = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    /// The batches being sent; locked while one is read from the spool and while finished ones are acknowledged, so
    /// both happen in order.
    private let window: Mutex<SendWindow<(batch: Spool.Batch, result: Result)>>
    /// Its own client: a server that is down is told in a second or two, and stopping the sender closes its
    /// connections.
    private let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(2))))
    /// Why the last batch was refused, reported once per kind of refusal.
    private let reported = Mutex<Set<Int>>([])

    /// Which of its sink's lanes it sends (for the gauges), and where refused audit and cost lines are kept.
    private let lane: Int
    private let deadLetterFile: String?

    init(spool: Spool, lane: Int, destination: ShippingDestination, options: ShippingOptions, metrics: ShippingMetrics) {
        self.spool = spool
        self.lane = lane
        self.deadLetterFile = options.spoolDirectory.map { $0 + "/dead-letter.ndjson" }
        self.destination = destination
        self.options = options
        self.metrics = metrics
        self.latency = Mutex(DeliveryLatency(recovered: spool.recovery.pendingRecords))
        self.window = Mutex(SendWindow(limit: options.concurrency))
        self.retry = DeliveryRetry(backoff: Backoff(initial: options.retryInitial, maximum: options.retryMaximum), maximumAttempts: nil)
        statistics.withLock { $0.spoolDamagedBytes = spool.recovery.tornBytes + spool.recovery.damagedBytes }
    }

    func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for _ in 0..<window.withLock({ $0.limit }) {
            let thread = Thread { [self] in
                run()
                finished.signal()
            }
            thread.name = "keel-ship"
            thread.start()
        }
    }

    /// Stops after the attempt in flight (what is left stays in the spool for the next start), and closes the
    /// client's connections.
    func stop() {
        guard started.load(ordering: .acquiring), !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for _ in 0..<window.withLock({ $0.limit }) { finished.wait() }
        window.withLock { $0.reset() }
        try? client.syncShutdown()
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Sleeps `duration`, a slice at a time, unless the sender is stopped meanwhile.
    private func pause(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while !isStopping, ContinuousClock.now < end { Thread.sleep(forTimeInterval: min(0.05, max(0, (end - ContinuousClock.now) / .seconds(1)))) }
    }

    /// One sending thread: takes the next batch while the window has room, sends it until it is delivered or given
    /// up, and hands it back to be acknowledged in order.
    private func run() {
        while !isStopping {
            report()
            guard let batch = take() else {
                pause(.milliseconds(50))
                continue
            }
            guard let result = deliver(batch) else { return }  // stopping: the batch stays in the spool
            finish(batch, result)
        }
    }

    /// The batch after the last one taken, when the window has room and the spool has one.
    private func take() -> Spool.Batch? {
        window.withLock { window in
            guard window.hasRoom,
                let batch = spool.batch(after: window.next, maxRecords: options.batchMaxLines, maxBytes: options.batchMaxBytes)
            else { return nil }
            window.took(end: batch.end)
            return batch
        }
    }

    /// How a batch ended: the server has it (all but `refused` lines, which it refused alone; `duplicates` it had
    /// already), or it was given up.
    private enum Result: Sendable {
        case delivered(refused: Int, duplicates: Int)
        case givenUp
    }

    /// Sends `batch` until the server has it or will never take it; `nil` when the sender stops first.
    private func deliver(_ batch: Spool.Batch) -> Result? {
        let body: BatchEncoding
        do {
            body = try BatchEncoding.encode(batch.lines, for: destination)
        } catch {
            refuse(batch, reason: "it could not be encoded: \(error)", outcome: .failed)
            return .givenUp
        }
        var attempt = 0
        while !isStopping {
            let (outcome, answer) = send(body)
            switch retry.decide(outcome, attempt: attempt, random: Double.random(in: 0...1)) {
            case .delivered:
                // A server may take a batch and refuse some of its lines (OTLP's partial_success, keel serve's
                // `refused`): those are not sent again.
                let (refused, duplicates) = Self.accounting(of: answer, format: destination.format)
                return .delivered(refused: min(batch.lines.count, refused), duplicates: min(batch.lines.count, duplicates))
            case .retry(let wait):
                statistics.withLock { $0.retried += 1 }
                metrics.retried.increment()
                report()
                attempt = attempt == .max ? attempt : attempt + 1
                pause(wait)
            case .giveUp(let reason):
                refuse(batch, reason: reason, outcome: outcome)
                return .givenUp
            }
        }
        return nil
    }

    /// `batch` is done with: it, and the batches after it already done, are counted and acknowledged in the spool
    /// once every batch before them is — counted first, so whoever sees the spool drained sees them counted.
    private func finish(_ batch: Spool.Batch, _ result: Result) {
        window.withLock { window in
            for (done, result) in window.finished(end: batch.end, (batch, result)) {
                switch result {
                case .delivered(let refused, let duplicates):
                    latency.withLock { $0.acknowledged(done.lines.count, at: DispatchTime.now().uptimeNanoseconds) }
                    statistics.withLock {
                        $0.sent += done.lines.count - refused
                        $0.dropped += refused
                        $0.duplicates += duplicates
                    }
                    metrics.sent.increment(by: Int64(done.lines.count - refused))
                    if refused > 0 { metrics.dropped.increment(by: Int64(refused)) }
                case .givenUp:
                    latency.withLock { $0.forgot(done.lines.count) }
                }
                spool.acknowledge(done)
            }
        }
    }

    /// Lines of an accepted batch the server refused alone, and lines it already had, from its answer: OTLP's
    /// `partial_success`, keel serve's `{"stored":…,"duplicates":…,"refused":…}`; Loki says neither.
    static func accounting(of answer: [UInt8], format: ShippingDestination.Format) -> (refused: Int, duplicates: Int) {
        switch format {
        case .otlp:
            return (Int(clamping: OTLPLogsEncoder.rejected(answer)?.records ?? 0), 0)
        case .keel:
            guard let object = try? JSONParser.parse(answer) else { return (0, 0) }
            // A count the server sent: whole, not negative, and small enough to be an Int (the caller caps it at the batch).
            func count(_ name: String) -> Int {
                guard let value = object[name]?.doubleValue, value.isFinite, value >= 0 else { return 0 }
                return Int(min(value, 1e15))
            }
            return (count("refused"), count("duplicates"))
        case .loki:
            return (0, 0)
        }
    }

    /// The spool's gauges, as they are now.
    private func report() {
        let oldest = latency.withLock { $0.oldestWaiting(now: DispatchTime.now().uptimeNanoseconds) }
        metrics.report(lane: lane, bytes: spool.bytes, waiting: spool.pendingRecords, oldestMilliseconds: oldest)
    }

    /// A batch the server will not take: ops lines are dropped (counted), audit and cost lines kept aside.
    private func refuse(_ batch: Spool.Batch, reason: String, outcome: DeliveryRetry.Outcome) {
        var kept: [UInt8] = []
        var keptLines = 0
        for (line, code) in zip(batch.lines, batch.storageClasses) where !StorageClass(code: code).isDroppable {
            kept += line + [0x0A]
            keptLines += 1
        }
        if keptLines > 0, let path = deadLetterFile {
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data(kept))
                try? handle.synchronize()
                try? handle.close()
            }
        }
        statistics.withLock {
            $0.dropped += batch.lines.count - keptLines
            $0.deadLettered += keptLines
        }
        if batch.lines.count > keptLines { metrics.dropped.increment(by: Int64(batch.lines.count - keptLines)) }
        if keptLines > 0 { metrics.deadLettered.increment(by: Int64(keptLines)) }
        if case .status(let status, _) = outcome, reported.withLock({ $0.insert(status).inserted }) {
            FileHandle.standardError.write(Data(
                "keel: \(destination.endpoint) refused a batch of \(batch.lines.count) lines (\(reason)); ops lines dropped, audit and cost lines kept in \(deadLetterFile ?? "memory")\n".utf8))
        }
    }

    /// One attempt (blocking this thread for at most the options' timeout), and the start of the answer's body.
    private func send(_ body: BatchEncoding) -> (DeliveryRetry.Outcome, [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: body.contentType)
        if let encoding = body.contentEncoding { headers.add(name: "Content-Encoding", value: encoding) }
        headers.add(name: "User-Agent", value: "keel-shipping")
        if let (user, password) = destination.basicAuth {
            headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        } else if let token = destination.token {
            headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let tenant = destination.tenant { headers.add(name: "X-Scope-OrgID", value: tenant) }
        do {
            let request = try HTTPClient.Request(url: destination.endpoint, method: .POST, headers: headers, body: .bytes(body.body))
            let deadline = NIODeadline.now() + .nanoseconds(Int64(options.timeout / .nanoseconds(1)))
            let response = try client.execute(request: request, deadline: deadline).wait()
            let answer = response.body.map { Array($0.readableBytesView.prefix(1 << 20)) } ?? []
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds(max(0, $0)) }
            return (.status(Int(response.status.code), retryAfter: retryAfter), answer)
        } catch {
            return (.failed, [])
        }
    }
}
