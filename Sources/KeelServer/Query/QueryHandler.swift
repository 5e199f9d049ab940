import Hummingbird
import Keel
import KeelQuery
import KeelWire

extension KeelServer {
    /// `GET /v1/query?q=<LogQL>`: Keel's own form of a query. A log query gives a page of events (the canonical
    /// lines, oldest first, with the `next` cursor of `/v1/events`); a metric query gives its series (`step` given)
    /// or its samples at `to` (or now), with RFC 3339 times and numbers as numbers. The range is `from`/`to` or the
    /// last `since` (an hour by default), as for `/v1/events`.
    func query(_ request: Request, _ context: ServerRequestContext, _ principal: Principal) async -> Response {
        let now = Timestamp.now().microsecondsSinceEpoch
        let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        func value(_ name: String) -> String? { pairs.last { $0.0 == name }?.1 }
        guard let text = value("q"), !text.isEmpty else { return Self.error(.badRequest, "invalid_parameter", "q: a LogQL query is required") }
        let expression: LogQLExpression
        do { expression = try LogQLParser.parse(text) } catch { return Self.error(.badRequest, "invalid_query", error.description) }
        let end = (value("to").flatMap(EventQueryParameters.time) ?? now) &* 1000
        var start = (value("from").flatMap(EventQueryParameters.time) ?? (end / 1000 &- 3_600_000_000)) &* 1000
        if let since = value("since") {
            guard let duration = EventQueryParameters.duration(since) else { return Self.error(.badRequest, "invalid_parameter", "since: expected a duration such as 15m") }
            start = end &- duration &* 1000
        }
        let limit = value("limit").flatMap { Int($0) } ?? 100
        let cursor = value("cursor").flatMap(LogCursor.init)
        if value("cursor") != nil, cursor == nil { return Self.error(.badRequest, "invalid_parameter", "cursor: not a cursor this server gave") }
        let step = value("step")
        if let step, LokiTime.step(step) == nil { return Self.error(.badRequest, "invalid_parameter", "step: expected a duration such as 5m") }
        let engine = LogQLEngine(store: store, isCancelled: await context.clientGone())
        let tenant = principal.tenant
        let from = start
        let outcome: Result<String, QueryFailure>
        do {
            outcome = try await timed { () -> Result<String, QueryFailure> in
                do throws(QueryFailure) {
                    switch expression {
                    case .log(let selector):
                        let page = try engine.page(selector, tenant: tenant, start: from, end: end, limit: limit, after: cursor)
                        var out = #"{"events":["# + page.lines.map(\.line).joined(separator: ",") + "]"
                        if let next = page.next { out += #","next":""# + next.description + "\"" }
                        return .success(out + "}\n")
                    case .metric(let metric):
                        let result =
                            if let step = step.flatMap(LokiTime.step) {
                                try engine.range(metric, tenant: tenant, start: from, end: end, step: step)
                            } else {
                                try engine.instant(metric, tenant: tenant, at: end)
                            }
                        return .success(Self.keelJSON(result) + "\n")
                    }
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            return storeFailure(error)
        }
        return answer(outcome, in: .keel)
    }

    /// A metric result in Keel's words: `{"series":[{"labels":{…},"points":[{"time":"…","value":1.5}]}]}`, or
    /// `samples` at an instant, or `scalar`.
    static func keelJSON(_ result: QueryResult) -> String {
        func time(_ ns: Int64) -> JSONValue { .string(Timestamp(microsecondsSinceEpoch: ns / 1000).description) }
        func number(_ value: Double) -> JSONValue { value.isFinite ? .number(LokiValue.number(value)) : .null }
        func labels(_ set: LabelSet) -> JSONValue { .object(set.labels.map { ($0.name, .string($0.value)) }) }
        let value: JSONValue =
            switch result {
            case .streams(let streams):
                .object([("streams", .array(streams.map { stream in
                    .object([("labels", labels(stream.labels)), ("lines", .array(stream.entries.map { .string($0.line) }))])
                }))])
            case .matrix(let series):
                .object([("series", .array(series.map { one in
                    .object([("labels", labels(one.labels)), ("points", .array(one.points.map { .object([("time", time($0.timestamp)), ("value", number($0.value))]) }))])
                }))])
            case .vector(let samples):
                .object([("samples", .array(samples.map { .object([("labels", labels($0.labels)), ("time", time($0.timestamp)), ("value", number($0.value))]) }))])
            case .scalar(let at, let scalar):
                .object([("scalar", .object([("time", time(at)), ("value", number(scalar))]))])
            }
        return value.jsonText
    }
}
