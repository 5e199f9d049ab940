public import Foundation
public import Hummingbird
import KeelRules
import HummingbirdCore
import HummingbirdWebSocket
public import KeelStore
public import KeelSQLiteStore
import KeelBlockStore
import KeelWire
public import Logging
import Keel
import KeelHummingbird
import NIOCore
import Synchronization
public import ServiceLifecycle

/// `keel serve`: ingest, queries, timelines, the live tail, export, erasure and metrics over one ``LogStore``.
///
/// Where things are: `Access/` checks tokens and picks the tenant (one middleware per route group); `Ingest/` runs
/// request bodies through KeelWire's formats and normaliser into the store; `Read/` answers queries, timelines and
/// tails; `Lifecycle/` exports, forgets and applies retention; `Operations/` has health and metrics.
public final class KeelServer: Sendable {
    public let configuration: ServerConfiguration
    public let store: any LogStore
    public let tokens: TokenStore
    let authenticator: Authenticator
    /// The web UI's sign-ins.
    let sessions = SessionStore()
    let normalizer: EventNormalizer
    let metrics: ServerMetrics
    /// Wakes open tails when their tenant's events are stored.
    let arrivals = ArrivalSignal()
    /// The tenants' alerting rules and their alerts.
    let ruler: Ruler
    /// Where alerts are sent.
    let notifier: AlertNotifier
    /// Changes through the rules API, one at a time.
    let ruleChanges = Mutex(())
    let logger: Logger

    /// Opens the data directory's store (``ServerConfiguration/store``; migrating a SQLite directory into blocks)
    /// and tokens.
    public convenience init(configuration: ServerConfiguration, logger: Logger) throws {
        let damage = StoreDamage(logger: logger)
        let store = try Self.openStore(configuration, damage: damage, logger: logger)
        self.init(configuration: configuration, store: store, damage: damage, logger: logger)
    }

    public convenience init(configuration: ServerConfiguration, store: any LogStore, logger: Logger) {
        self.init(configuration: configuration, store: store, damage: StoreDamage(logger: logger), logger: logger)
    }

    init(configuration: ServerConfiguration, store: any LogStore, damage: StoreDamage, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.tokens = TokenStore(dataDirectory: configuration.dataDirectory)
        self.authenticator = Authenticator(configuration.insecureSingleTenant ? .insecureSingleTenant : .tokens(tokens))
        self.normalizer = EventNormalizer(redactor: Redactor(policy: configuration.redaction), limits: configuration.limits)
        self.metrics = ServerMetrics(store: store, damage: damage)
        self.ruler = Self.openRuler(configuration, logger: logger)
        self.notifier = AlertNotifier(settings: configuration.notifications, dataDirectory: configuration.dataDirectory, logger: logger)
        self.logger = logger
    }

    /// On a data directory with no tokens yet: creates tenant `default` with an admin and an ingest token and returns
    /// them (to be printed once). `nil` when tokens exist or tokens are off.
    public func bootstrapTokens() throws -> (admin: String, ingest: String)? {
        guard !configuration.insecureSingleTenant, try tokens.records().isEmpty else { return nil }
        let admin = try tokens.create(tenant: "default", role: .admin)
        let ingest = try tokens.create(tenant: "default", role: .ingest)
        return (admin.token, ingest.token)
    }

    /// The routes, one group per area, each behind its own ``AuthenticationMiddleware``: `/healthz` answers without
    /// a token and writes no log line; the web UI's page, files and sign-in answer without one (``addWebUI(to:)``);
    /// every other request needs a token (or the UI's session) of its group's role. All but `/healthz` write one
    /// `http.request` event through Keel.
    public func makeRouter() -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.get("/healthz") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        let api = router.group().add(middleware: KeelRequestMiddleware())
        addWebUI(to: api)
        func area(_ role: Role) -> RouterGroup<ServerRequestContext> {
            api.group().add(middleware: AuthenticationMiddleware(authenticator: authenticator, role: role, sessions: sessions) { [metrics] refusal in
                if role == .ingest { metrics.rejected(reason: refusal.status == .unauthorized ? "unauthorized" : "forbidden") }
            })
        }
        let ingest = area(.ingest)
        ingest.post("/v1/events") { request, context in await context.authenticated { await self.ingest(request, $0, format: .ndjson) } }
        ingest.post("/loki/api/v1/push") { request, context in await context.authenticated { await self.ingest(request, $0, format: .loki) } }
        ingest.post("/v1/logs") { request, context in await context.authenticated { await self.ingest(request, $0, format: .otlp) } }
        let read = area(.read)
        read.get("/v1/events") { request, context in await self.reading(request, context, self.queryEvents) }
        read.get("/v1/timeline") { request, context in await self.reading(request, context, self.timeline) }
        read.get("/v1/tail") { request, context in await self.reading(request, context, also: ["query"], self.tail) }
        read.get("/v1/export") { request, context in await self.reading(request, context, self.export) }
        read.get("/v1/query") { request, context in await context.authenticated { await self.query(request, context, $0) } }
        // Loki's read API, for Grafana and logcli (Query/).
        for method in [HTTPRequest.Method.get, .post] {
            read.on("/loki/api/v1/query_range", method: method) { request, context in await context.authenticated { await self.lokiQueryRange(request, context, $0) } }
            read.on("/loki/api/v1/query", method: method) { request, context in await context.authenticated { await self.lokiQuery(request, context, $0) } }
            read.on("/loki/api/v1/labels", method: method) { request, context in await context.authenticated { await self.lokiLabels(request, context, $0) } }
            read.on("/loki/api/v1/label/:name/values", method: method) { request, context in
                await context.authenticated { await self.lokiLabelValues(request, context, $0) }
            }
            read.on("/loki/api/v1/series", method: method) { request, context in await context.authenticated { await self.lokiSeries(request, context, $0) } }
        }
        read.get("/loki/api/v1/index/stats") { request, context in await context.authenticated { await self.lokiIndexStats(request, context, $0) } }
        read.get("/loki/api/v1/index/volume") { request, context in await context.authenticated { await self.lokiVolume(request, context, $0, range: false) } }
        read.get("/loki/api/v1/index/volume_range") { request, context in await context.authenticated { await self.lokiVolume(request, context, $0, range: true) } }
        read.get("/loki/api/v1/status/buildinfo") { _, context in await context.authenticated { _ in self.lokiBuildInfo() } }
        let lifecycle = area(.admin)
        addRuleRoutes(read: read, admin: lifecycle)
        lifecycle.post("/v1/forget") { request, context in
            await context.authenticated { await self.forget(request, $0) }
        }
        let operations = area(.metrics)
        operations.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.exposition())))
        }
        return router
    }

    /// HTTP/1.1, and WebSocket upgrades for the routes that take them (Loki's live tail), with the idle timeout
    /// from a connection's first byte (``KeelChildChannel``).
    func makeServerBuilder() -> HTTPServerBuilder {
        let idle = TimeAmount.milliseconds(Int64(configuration.idleTimeout / .milliseconds(1)))
        let webSocketResponder = makeWebSocketRouter().buildResponder()
        let channel = HTTP1WebSocketUpgradeChannel.Configuration(http1: .init(idleTimeout: idle), ws: .init())
        return HTTPServerBuilder { responder in
            KeelChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: channel),
                timeout: idle)
        }
    }

    /// The HTTP server and the retention job, as services to run in one `ServiceGroup`.
    public func makeApplication() -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            server: makeServerBuilder(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "keel"),
            services: [
                RetentionJob(server: self), StoreMaintenance(server: self), RuleEvaluation(server: self), NotificationDelivery(server: self),
            ],
            logger: logger)
    }

    // MARK: responses

    static func json(_ status: HTTPResponse.Status, _ text: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func error(_ status: HTTPResponse.Status, _ reason: String, _ message: String) -> Response {
        json(status, JSONValue.object([("error", .string(message)), ("reason", .string(reason))]).jsonText + "\n")
    }

    static func refusal(_ refusal: Authenticator.Refusal) -> Response {
        var response = error(refusal.status, refusal.status == .unauthorized ? "unauthorized" : "forbidden", refusal.message)
        if refusal.status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"keel\"" }
        return response
    }
}
