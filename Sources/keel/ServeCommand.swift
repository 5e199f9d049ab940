#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import Keel
import KeelBlockStore
import KeelQuery
import KeelServer
import KeelStore
import KeelSQLiteStore
import KeelWire
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the log server: ingest (NDJSON, Loki push, OTLP/HTTP), search, timelines, live tail, export.",
        discussion: """
            On an empty data directory it creates tenant "default" and prints an admin and an ingest token once. \
            See docs/server.md for the API.
            """
    )

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen = "127.0.0.1:8080"

    @Option(help: "The data directory (events, tokens).")
    var data = "keel-data"

    @Option(help: "normal (committed; survives a crash of keel) or full (fsync'd before each acknowledgement).")
    var durability = "normal"

    @Option(name: .customLong("retention-days"), help: "Days of events kept per tenant.")
    var retentionDays = 30

    @Option(help: "A tenant's own retention, TENANT=DAYS (repeatable).")
    var retention: [String] = []

    @Option(help: "Where events are kept: blocks (the default: compressed columns, ~1/100 of the disk of sqlite) or sqlite (the first store). A SQLite data directory opened with blocks is migrated on start.")
    var store = "blocks"

    @Option(help: "A directory of alerting rule files in Loki's ruler format: <tenant>.yaml, or <tenant>/<namespace>.yaml.")
    var rules: String?

    @Option(help: "An Alertmanager to send alerts to, http(s)://HOST:PORT (repeatable): POST /api/v2/alerts.")
    var alertmanager: [String] = []

    @Option(name: .customLong("alert-webhook"), help: "A URL to POST each alert's firing and resolution to, as JSON (repeatable).")
    var alertWebhook: [String] = []

    @Option(name: .customLong("alert-slack"), help: "A Slack incoming webhook URL to post each alert's firing and resolution to (repeatable).")
    var alertSlack: [String] = []

    @Option(name: .customLong("alert-resend-delay"), help: "How often a firing alert is sent to the Alertmanagers again: 1m, 30s.")
    var alertResendDelay = "1m"

    @Option(name: .customLong("external-url"), help: "The web UI's address as people reach it, for the links in alerts (default http://LISTEN).")
    var externalURL: String?

    @Option(name: .customLong("block-rows"), help: "Events per block of the block store (16–65,536; compression grows with it).")
    var blockRows = 4_096

    @Option(name: .customLong("flush-after"), help: "Seconds an event may wait in the block store's head before it goes into a block (bounds the log replayed at a restart).")
    var flushAfter = 30.0

    @Option(name: .customLong("max-open-days"), help: "Tenant-days the SQLite store keeps open at once (file descriptors, page cache).")
    var maxOpenDays = 128

    @Flag(name: .customLong("insecure-single-tenant"), help: "No tokens: anyone who can connect is an admin. Local experiments only.")
    var insecureSingleTenant = false

    func run() async throws {
        var configuration = ServerConfiguration()
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = Int(parts.last!), (0...65535).contains(port) else {
            throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8080")
        }
        configuration.host = parts.dropLast().joined(separator: ":")
        configuration.port = port
        configuration.dataDirectory = data
        switch durability {
        case "normal": configuration.durability = .normal
        case "full": configuration.durability = .full
        default: throw ValidationError("--durability takes normal or full")
        }
        configuration.retentionDays = retentionDays
        for item in retention {
            let pair = item.split(separator: "=")
            guard pair.count == 2, TenantName.isValid(pair[0]), let days = Int(pair[1]), days > 0 else {
                throw ValidationError("--retention takes TENANT=DAYS, e.g. acme=90")
            }
            configuration.retentionByTenant[String(pair[0])] = days
        }
        configuration.insecureSingleTenant = insecureSingleTenant
        guard maxOpenDays > 0 else { throw ValidationError("--max-open-days must be at least 1") }
        configuration.maximumOpenPartitions = maxOpenDays
        guard (16...65_536).contains(blockRows) else { throw ValidationError("--block-rows takes 16 to 65536") }
        guard flushAfter >= 0.01, flushAfter <= 86_400 else { throw ValidationError("--flush-after takes 0.01 to 86400 seconds") }
        configuration.flushPolicy = FlushPolicy(maximumRows: blockRows, maximumAge: Int64(flushAfter * 1_000_000))
        configuration.maintenanceInterval = .milliseconds(Int(min(1, flushAfter) * 1000))
        if let rules {
            do { try configuration.loadRules(from: rules) } catch { throw ValidationError("\(error)") }
        }
        for (kind, urls) in [(AlertReceiver.Kind.alertmanager, alertmanager), (.webhook, alertWebhook), (.slack, alertSlack)] {
            for url in urls {
                guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host?.isEmpty == false else {
                    throw ValidationError("--\(kind == .alertmanager ? "alertmanager" : "alert-\(kind.rawValue)") takes an http(s) URL: \(url.prefix(80))")
                }
                configuration.alertReceivers.append(AlertReceiver(kind: kind, url: url))
            }
        }
        guard let resend = LogQLDuration.nanoseconds(alertResendDelay), resend >= 1_000_000_000 else {
            throw ValidationError("--alert-resend-delay takes a duration of at least 1s: 30s, 1m")
        }
        configuration.alertResendDelay = .nanoseconds(resend)
        if let externalURL {
            guard let parsed = URLComponents(string: externalURL), ["http", "https"].contains(parsed.scheme ?? "") else {
                throw ValidationError("--external-url takes an http(s) URL")
            }
            configuration.externalURL = externalURL
        }
        switch store {
        case "blocks", "v2": configuration.store = .blocks
        case "sqlite", "v1": configuration.store = .sqlite
        default: throw ValidationError("--store takes blocks or sqlite")
        }

        var logging = try KeelConfiguration.fromEnvironment()
        logging.service = "keel-server"
        try Keel.bootstrap(logging)
        defer { Keel.shutdown() }
        let logger = Logger(label: "keel.server")

        raiseOpenFileLimit(logger)
        ListenerRelease.install()
        // Held until the process ends: a second server on this directory refuses to start.
        let lock: DataDirectoryLock
        do {
            lock = try DataDirectoryLock(directory: data)
        } catch {
            throw StartupFailure("keel serve: \(error)")
        }
        let server = try KeelServer(configuration: configuration, logger: logger)
        if insecureSingleTenant {
            logger.warning(
                "INSECURE: --insecure-single-tenant is on. No token is checked: anyone who can connect reads, writes and erases every tenant. Never use this beyond a laptop.")
        } else if let tokens = try server.bootstrapTokens() {
            // Printed once, on stderr: only their hashes are stored.
            FileHandle.standardError.write(Data("""

                keel: first start on \(data): created tenant "default" and two tokens. They are shown only now.
                  admin token:  \(tokens.admin)
                  ingest token: \(tokens.ingest)
                Send with: curl -H 'Authorization: Bearer <token>' --data-binary @events.ndjson http://\(listen)/v1/events
                More tokens: keel token create --data \(data) --tenant NAME --role ingest|read|admin


                """.utf8))
        }
        logger.notice(
            "keel serve starting",
            metadata: [
                "listen": "\(listen)", "data": "\(data)", "store": "\(configuration.store.rawValue)", "durability": "\(durability)",
                "allocator": "\(Allocator.name)",
            ])
        let services = ServiceGroup(
            services: [server.makeApplication()], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await services.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw StartupFailure("keel serve: \(listen) is already in use; stop what listens there, or choose another --listen")
        } catch let error as IOError where error.errnoCode == EACCES || error.errnoCode == EADDRNOTAVAIL {
            throw StartupFailure("keel serve: cannot listen on \(listen): \(String(cString: strerror(error.errnoCode)))")
        }
        server.tokens.flushUsage()
        withExtendedLifetime(lock) {}
        logger.notice("keel serve stopped")
    }
}

/// A reason `keel serve` cannot start, printed as one line; the process exits non-zero.
struct StartupFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage the API tokens of a keel serve data directory.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it once (only its hash is stored). A running server accepts it at once.")

        @Option(help: "The server's data directory.")
        var data = "keel-data"

        @Option(help: "The tenant the token reads or writes.")
        var tenant: String

        @Option(help: "ingest, read, metrics (/metrics only, for a Prometheus scraper) or admin.")
        var role: String

        @Option(help: "Refused after this long: 90d, 12h, 30m.")
        var expires: String?

        func run() throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role takes ingest, read, metrics or admin") }
            guard TenantName.isValid(tenant) else { throw ValidationError("--tenant: use 1–64 of A–Z a–z 0–9 _ -") }
            var expiry: Date?
            if let expires {
                guard let span = EventQueryParameters.duration(expires), span > 0 else {
                    throw ValidationError("--expires takes a duration such as 90d, 12h or 30m")
                }
                expiry = Date().addingTimeInterval(Double(span) / 1e6)
            }
            let created = try TokenStore(dataDirectory: data).create(tenant: tenant, role: role, expires: expiry)
            print(created.token)
            let until = created.record.expires.map { ", valid until \($0)" } ?? ""
            FileHandle.standardError.write(
                Data("keel: \(role.rawValue) token \(created.record.id) for tenant \(tenant)\(until); shown only now\n".utf8))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token by its id (keel token list): a running server refuses it from the next request on.")

        @Option(help: "The server's data directory.")
        var data = "keel-data"

        @Argument(help: "The token's id, tok_…")
        var id: String

        func run() throws {
            let record = try TokenStore(dataDirectory: data).revoke(id: id)
            print("revoked \(record.id) (\(record.role.rawValue), tenant \(record.tenant)) at \(record.revoked ?? "?")")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tokens: id, tenant, role, created, state (active, expires …, expired, revoked) and last use (never the token).")

        @Option(help: "The server's data directory.")
        var data = "keel-data"

        func run() throws {
            let store = TokenStore(dataDirectory: data)
            let used = store.lastUsage()
            let now = ISO8601DateFormatter().string(from: Date())
            print("ID\tTENANT\tROLE\tCREATED\tSTATE\tLAST USED")
            for record in try store.records() {
                let state =
                    if let revoked = record.revoked { "revoked \(revoked)" }
                    else if let expires = record.expires { expires <= now ? "expired \(expires)" : "expires \(expires)" }
                    else { "active" }
                print("\(record.id)\t\(record.tenant)\t\(record.role.rawValue)\t\(record.created)\t\(state)\t\(used[record.id] ?? "never")")
            }
        }
    }
}

/// Raises the soft limit on open files to the hard limit, as servers commonly do: every open tenant-day holds a few
/// descriptors, and the usual soft limit of 1,024 is low for a store with many tenants.
func raiseOpenFileLimit(_ logger: Logger) {
    var limit = rlimit()
    guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    let previous = limit.rlim_cur
    limit.rlim_cur = limit.rlim_max
    if setrlimit(RLIMIT_NOFILE_VALUE, &limit) != 0 {
        logger.warning("could not raise the open-file limit", metadata: ["soft_limit": "\(previous)"])
    }
}

#if canImport(Glibc)
let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif
