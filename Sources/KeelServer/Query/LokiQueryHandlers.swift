import Hummingbird
import Keel
import KeelQuery
import KeelStore
import NIOCore

/// The read half of Loki's HTTP API, so that Grafana's Loki data source (Explore, dashboards, alerting) and
/// `logcli` work against `keel serve`: queries in LogQL (``LogQLEngine``), label names and values, series, index
/// stats and volumes, and the build information Grafana asks for first. The tenant is the token's, as for every
/// read.
extension KeelServer {
    static let hour: Int64 = 3_600_000_000_000

    /// `GET|POST /loki/api/v1/query_range`: a log query (`streams`) or a metric query at every step (`matrix`).
    func lokiQueryRange(_ request: Request, _ context: ServerRequestContext, _ principal: Principal) async -> Response {
        await lokiAnswer(request, context) { parameters, engine throws(QueryFailure) in
            let (start, end) = try Self.invalidParameter { () throws(LokiParameters.Invalid) in try parameters.range(lookback: Self.hour) }
            let expression = try Self.parse(parameters["query"])
            switch expression {
            case .log(let selector):
                let limit = try Self.invalidParameter { () throws(LokiParameters.Invalid) in try parameters.integer("limit", default: 100) }
                let direction = LogQLEngine.Direction(rawValue: parameters["direction"] ?? "backward") ?? .backward
                // Loki's end is inclusive for log queries.
                return try engine.logs(selector, tenant: principal.tenant, start: start, end: end &+ 1, limit: limit, direction: direction)
            case .metric(let metric):
                var step = LokiTime.defaultStep(start: start, end: end)
                if let text = parameters["step"] {
                    guard let parsed = LokiTime.step(text) else { throw .limit("invalid parameter step: \(text.prefix(64)) is not a positive duration") }
                    step = parsed
                }
                return try engine.range(metric, tenant: principal.tenant, start: start, end: end, step: step)
            }
        }
    }

    /// `GET|POST /loki/api/v1/query`: a metric query at one instant (`vector` or `scalar`); Grafana's "Save & test"
    /// sends `vector(1)+vector(1)`.
    func lokiQuery(_ request: Request, _ context: ServerRequestContext, _ principal: Principal) async -> Response {
        await lokiAnswer(request, context) { parameters, engine throws(QueryFailure) in
            let now = Timestamp.now().microsecondsSinceEpoch &* 1000
            let time = try Self.invalidParameter { () throws(LokiParameters.Invalid) in try parameters.time("time", default: now) }
            switch try Self.parse(parameters["query"]) {
            case .log:
                throw .limit("log queries are not supported as an instant query type, please change your query to a range query type")
            case .metric(let metric):
                return try engine.instant(metric, tenant: principal.tenant, at: time)
            }
        }
    }

    /// `GET /loki/api/v1/labels`: the label names of the range (the last 6 hours by default), within `query`'s
    /// streams when given.
    func lokiLabels(_ request: Request, _ context: ServerRequestContext, _ principal: Principal) async -> Response {
        await lokiList(request, context) { parameters, engine, start, end throws(QueryFailure) in
            let selector = try parameters["query"].map { text throws(QueryFailure) in try Self.selector(text) }
            return try engine.labelNames(selector: selector, tenant: principal.tenant, start: start, end: end)
        }
    }

    /// `GET /loki/api/v1/label/<name>/values`: one label's values, within `query`'s streams when given.
    func lokiLabelValues(_ request: Request, _ context: ServerRequestContext, _ principal: Principal) async -> Response {
        let name = context.parameters.get("name") ?? ""
        return await lokiList(request, context) { parameters, engine, start, end throws(QueryFailure) in
            let selector = try parameters["query"].map { text throws(QueryFailure) in try Self.selector(text) }
            return try engine.labelValues(name, selector: selector, tenant: principal.tenant, start: start, end: end)
        }
    }

    /// `GET|POST /loki/api/v1/series?match[]=…`: the label sets of the streams the selectors match.
    func lokiSeries(_ request: Request, _ context: ServerRequestContext, _ principal: Principal) async -> Response {
        await lokiBody(request, context) { parameters, engine throws(QueryFailure) in
            let (start, end) = try Self.invalidParameter { () throws(LokiParameters.Invalid) in try parameters.range(lookback: 6 * Self.hour) }
            let texts = parameters.all("match[]") + parameters.all("match")
            guard !texts.isEmpty else { throw .limit("invalid parameters: name at least one selector with match[]") }
            var selectors: [LogSelector] = []
            for text in texts { selectors.append(try Self.selector(text)) }
            let series = try engine.series(selectors, tenant: principal.tenant, start: start, end: end)
            return #"{"status":"success","data":["# + series.map(\.lokiJSON).joined(separator: ",") + "]}\n"
        }
    }

    /// `GET /loki/api/v1/index/stats?query=…`: how many streams, entries and bytes a selector matches.
    func lokiIndexStats(_ request: Request, _ context: ServerRequestContext, _ principal: Principal) async -> Response {
        await lokiBody(request, context) { parameters, engine throws(QueryFailure) in
            let (start, end) = try Self.invalidParameter { () throws(LokiParameters.Invalid) in try parameters.range(lookback: Self.hour) }
            let stats = try engine.stats(try Self.selector(parameters["query"] ?? ""), tenant: principal.tenant, start: start, end: end)
            return #"{"streams":\#(stats.streams),"chunks":\#(stats.entries),"entries":\#(stats.entries),"bytes":\#(stats.bytes)}"# + "\n"
        }
    }

    /// `GET /loki/api/v1/index/volume` and `volume_range`: the bytes a selector matches, by its labels (or
    /// `targetLabels`): what Grafana draws as the log-volume histogram.
    func lokiVolume(_ request: Request, _ context: ServerRequestContext, _ principal: Principal, range: Bool) async -> Response {
        await lokiAnswer(request, context) { parameters, engine throws(QueryFailure) in
            let (start, end) = try Self.invalidParameter { () throws(LokiParameters.Invalid) in try parameters.range(lookback: Self.hour) }
            let selector = try Self.selector(parameters["query"] ?? "")
            let targets = parameters["targetLabels"].map { $0.split(separator: ",").map(String.init) }
            var step: Int64?
            if range { step = parameters["step"].flatMap(LokiTime.step) ?? LokiTime.defaultStep(start: start, end: end) }
            return try engine.volume(selector, targetLabels: targets, tenant: principal.tenant, start: start, end: end, step: step)
        }
    }

    /// `GET /loki/api/v1/status/buildinfo`: Grafana reads the version to decide which features to use.
    func lokiBuildInfo() -> Response {
        Self.json(.ok, #"{"version":"3.0.0","revision":"keel","branch":"main","buildUser":"keel","buildDate":"","goVersion":"","keel":"keel serve"}"# + "\n")
    }

    // MARK: Shared

    private static func parse(_ text: String?) throws(QueryFailure) -> LogQLExpression {
        guard let text, !text.isEmpty else { throw .limit("invalid parameters: query is required") }
        do { return try LogQLParser.parse(text) } catch { throw .invalid(error) }
    }

    private static func selector(_ text: String) throws(QueryFailure) -> LogSelector {
        guard case .log(let selector) = try parse(text) else { throw .limit("invalid parameters: \(text.prefix(64)) is not a stream selector") }
        return selector
    }

    private static func invalidParameter<T>(_ body: () throws(LokiParameters.Invalid) -> T) throws(QueryFailure) -> T {
        do { return try body() } catch { throw .limit(error.message) }
    }

    /// Runs a query on a reading thread and answers in Loki's shape, or with Loki's error.
    private func lokiAnswer(
        _ request: Request, _ context: ServerRequestContext, _ run: @escaping @Sendable (LokiParameters, LogQLEngine) throws(QueryFailure) -> QueryResult
    ) async -> Response {
        await lokiBody(request, context) { parameters, engine throws(QueryFailure) in
            let clock = ContinuousClock()
            let started = clock.now
            let result = try run(parameters, engine)
            let elapsed = clock.now - started
            return result.lokiJSON(seconds: Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)) + "\n"
        }
    }

    /// `{"status":"success","data":[…]}` for a list of strings over a range (6 hours by default).
    private func lokiList(
        _ request: Request, _ context: ServerRequestContext, _ list: @escaping @Sendable (LokiParameters, LogQLEngine, Int64, Int64) throws(QueryFailure) -> [String]
    ) async -> Response {
        await lokiBody(request, context) { parameters, engine throws(QueryFailure) in
            let (start, end) = try Self.invalidParameter { () throws(LokiParameters.Invalid) in try parameters.range(lookback: 6 * Self.hour) }
            let items = try list(parameters, engine, start, end)
            return #"{"status":"success","data":"# + JSONValue.array(items.map(JSONValue.string)).jsonText + "}\n"
        }
    }

    private func lokiBody(
        _ request: Request, _ context: ServerRequestContext, _ body: @escaping @Sendable (LokiParameters, LogQLEngine) throws(QueryFailure) -> String
    ) async -> Response {
        let parameters: LokiParameters
        do throws(LokiParameters.Invalid) {
            parameters = try await LokiParameters(request, server: self)
        } catch {
            return Self.lokiError(.badRequest, error.message)
        }
        let engine = LogQLEngine(store: store, isCancelled: await context.clientGone())
        let outcome: Result<String, QueryFailure>
        do {
            outcome = try await timed { () -> Result<String, QueryFailure> in
                do throws(QueryFailure) { return .success(try body(parameters, engine)) } catch { return .failure(error) }
            }
        } catch {
            return storeFailure(error)
        }
        return answer(outcome, in: .loki)
    }

    /// Loki answers a bad query with its message as plain text, which Grafana shows as it is.
    static func lokiError(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
