public import Keel
public import KeelStore
public import KeelBlockStore
public import KeelSQLiteStore
public import KeelWire

/// How `keel serve` runs. Defaults: 127.0.0.1:8080, data in `./keel-data`, tokens required, 30 days' retention.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "keel-data"
    /// Where events are kept: the block store (v2), or the SQLite store it replaced (docs/server.md, "The store").
    public var store: StoreChoice = .blocks
    public var durability: SQLiteLogStore.Durability = .normal
    /// Tenant-days the SQLite store keeps open at once (each holds a few file descriptors and up to 32 MiB of page
    /// cache).
    public var maximumOpenPartitions = 128
    /// What the block store may hold in memory: its heads, its cache of decoded blocks, its open days.
    public var blockLimits = BlockLogStore.Limits()
    /// When the block store's heads go into blocks: a block's rows, and how long an event may wait.
    public var flushPolicy = FlushPolicy()
    /// How often the block store flushes heads that have waited long enough and merges small blocks.
    public var maintenanceInterval: Duration = .seconds(1)
    /// The tenants' rule namespaces read from `--rules` (``loadRules(from:)``); those sent to the rules API are kept
    /// in the data directory.
    var ruleFiles: [RuleNamespace] = []

    /// Reads the rule files of `directory` (`--rules`): `<tenant>.yaml`, or `<tenant>/<namespace>.yaml`, in Loki's
    /// ruler format. Throws, naming the file, group and rule, when any does not read.
    public mutating func loadRules(from directory: String) throws {
        ruleFiles = try RuleDirectory.load(directory)
    }

    /// Where alert notifications go (`--alertmanager`, `--alert-webhook`, `--alert-slack`).
    public var alertReceivers: [AlertReceiver] {
        get { notifications.receivers }
        set { notifications.receivers = newValue }
    }
    /// How often a firing alert is sent to an Alertmanager again.
    public var alertResendDelay: Duration {
        get { notifications.resendDelay }
        set { notifications.resendDelay = newValue }
    }
    /// How notifications are queued and retried.
    var notifications = AlertNotifier.Settings()
    /// The web UI's address as people reach it, for links in notifications (default `http://HOST:PORT`).
    public var externalURL: String?

    /// No tokens: every request acts as an admin (local experiments only).
    public var insecureSingleTenant = false
    public var limits = IngestLimits()
    /// The redaction every ingested event goes through (the library's default policy unless told otherwise).
    public var redaction: RedactionPolicy = .default
    /// Days of events kept per tenant; tenants not named in ``retentionByTenant`` keep ``retentionDays``.
    public var retentionDays = 30
    public var retentionByTenant: [String: Int] = [:]
    /// How often the retention job runs.
    public var retentionInterval: Duration = .seconds(3600)
    /// How often an open tail looks for new events besides being woken by each append of its tenant's events:
    /// the clock of its heartbeat, and a safety net.
    public var tailPollInterval: Duration = .seconds(1)
    /// A comment line on an idle tail, so proxies keep it open and a gone client is noticed.
    public var tailHeartbeat: Duration = .seconds(15)
    /// A connection that has not sent a whole request head within this long (a slowloris, or a client that went
    /// away), or sits idle between requests this long, is closed.
    public var idleTimeout: Duration = .seconds(30)
    /// A request body not received in full within this long is refused (408): a client trickling bytes cannot hold
    /// a connection and a buffer for ever.
    public var bodyTimeout: Duration = .seconds(60)

    public init() {}

    public func retention(for tenant: String) -> Int { retentionByTenant[tenant] ?? retentionDays }
}
