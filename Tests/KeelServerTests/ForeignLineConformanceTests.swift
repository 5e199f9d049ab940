import Foundation
import Keel
import KeelTools
import Testing

/// Other loggers' lines become the same canonical events whether they are piped through `keel pipe` or sent to
/// `POST /v1/events`: one vocabulary (``ForeignVocabulary``), one normaliser, whatever the way in.
@Suite struct ForeignLineConformanceTests {
    /// One line from each ecosystem Keel promises to read, as those loggers write them.
    static let lines = [
        // pino (and pino-http): numeric level, epoch milliseconds, `reqId`, `responseTime`, `err` as an object.
        #"{"level":30,"time":1764756000123,"pid":4242,"hostname":"web-1","reqId":"req-7","msg":"request completed","res":{"statusCode":200},"responseTime":12.5}"#,
        #"{"level":50,"time":1764756000456,"pid":4242,"hostname":"web-1","err":{"type":"Error","message":"boom","stack":"Error: boom\n    at handler (app.js:10:5)"},"msg":"boom"}"#,
        // bunyan: `name`, `v`, RFC 3339 time.
        #"{"name":"api","hostname":"web-2","pid":7,"level":40,"msg":"slow upstream","time":"2025-12-03T10:00:00.123Z","v":0}"#,
        // zap: float seconds in `ts`, `caller`, a plain `error` string and a `stacktrace`.
        #"{"level":"error","ts":1764756000.123456,"caller":"server/handler.go:42","msg":"upstream failed","error":"connection refused","stacktrace":"main.handler\n\t/src/main.go:42"}"#,
        // Go's log/slog: nanosecond RFC 3339 with an offset, upper-case level.
        #"{"time":"2025-12-03T11:00:00.123456789+01:00","level":"WARN","msg":"cache miss","key":"user:42","duration_ms":3}"#,
        // structlog: the message is `event`.
        #"{"event":"user logged in","level":"info","timestamp":"2025-12-03T10:00:00.123456Z","user_id":"u-1","logger":"auth"}"#,
        // python-json-logger: `levelname`, `name`, a traceback in `exc_info`.
        #"{"asctime":"2025-12-03 10:00:00,123","levelname":"ERROR","name":"app.db","message":"query failed","exc_info":"Traceback (most recent call last):\n  File \"db.py\", line 3\nValueError: bad","timestamp":"2025-12-03T10:00:00.123+00:00"}"#,
        // An OpenTelemetry record, flat, with semantic-convention names.
        #"{"timestamp":"2025-12-03T10:00:00.5Z","severity_text":"ERROR","message":"GET /orders failed","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","service.name":"orders","service.version":"1.4.2","deployment.environment.name":"production","http.request.method":"GET","url.path":"/orders/42","http.route":"/orders/{id}","http.response.status_code":500,"exception.type":"TimeoutError","exception.message":"upstream timed out","exception.stacktrace":"at fetch (orders.js:10)"}"#,
        // Keel's own line, re-sent, and a line with secrets and personal data.
        #"{"timestamp":"2025-12-03T10:00:00.000001Z","level":"NOTICE","message":"deploy","event":"deploy.finished","schema_version":1,"event_id":"0193e1a2-0000-7000-8000-000000000001","service":"ci"}"#,
        #"{"severity":"Information","ts":"2025-12-03T10:00:01Z","msg":"signup for ann@example.com","password":"hunter2","card":"4111 1111 1111 1111"}"#,
    ]

    /// The canonical events `keel pipe` writes for `lines`, with no configured fields to fill in.
    func piped(_ lines: [String]) throws -> [JSONValue] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-pipe-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = KeelConfiguration()
        config.console = nil
        config.delivery = .synchronous
        config.file = directory.appendingPathComponent("pipe.log").path
        let pipeline = try Keel.makePipeline(config)
        let stream = PipeStream(pipeline: pipeline, redaction: .default, maxLineBytes: 256 << 10, defaults: [:])
        for line in lines {
            var line = line
            line.withUTF8 { stream.handle(UnsafeRawBufferPointer($0)) }
        }
        pipeline.close()
        let text = try String(contentsOfFile: config.file!, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
    }

    func withoutTenant(_ event: JSONValue) -> JSONValue {
        guard case .object(let members) = event else { return event }
        return .object(members.filter { $0.key != "tenant_id" })
    }

    @Test func pipeAndServeMakeTheSameEvents() async throws {
        let piped = try piped(Self.lines)
        #expect(piped.count == Self.lines.count)
        let fixture = try TestServer()
        defer { fixture.remove() }
        try await fixture.run { client in
            let reply = try await client.ingest(Self.lines, token: fixture.ingestA)
            #expect(reply.status == 200, "\(reply.text)")
            let served = try await client.events(token: fixture.readA, query: "from=2025-01-01T00:00:00Z")
            #expect(served.count == Self.lines.count)
            for event in piped {
                let id = try #require(event["event_id"]?.stringValue)
                let match = try #require(served.first { $0["event_id"]?.stringValue == id }, "\(event.jsonText) was not stored")
                #expect(withoutTenant(match) == event, "serve: \(match.jsonText)\npipe:  \(event.jsonText)")
                #expect(match["tenant_id"]?.stringValue == "tenant-a")
            }
        }
    }

    /// What the shared vocabulary makes of each ecosystem's names.
    @Test func eachLoggersNamesLandInTheSchema() throws {
        let events = try piped(Self.lines)
        let pino = events[0], pinoError = events[1], bunyan = events[2], zap = events[3], slog = events[4]
        let structlog = events[5], python = events[6], otel = events[7], keel = events[8], secrets = events[9]
        #expect(pino["timestamp"]?.stringValue == "2025-12-03T10:00:00.123000Z")
        #expect(pino["level"]?.stringValue == "INFO")
        #expect(pino["host"]?.stringValue == "web-1")
        #expect(pino["pid"] == .number("4242"))
        #expect(pino["request_id"]?.stringValue == "req-7")
        #expect(pino["duration_ms"] == .number("12.5"))
        #expect(pinoError["level"]?.stringValue == "ERROR")
        #expect(pinoError["error"]?["type"]?.stringValue == "Error")
        #expect(pinoError["error"]?["stack"]?.stringValue?.hasPrefix("Error: boom") == true)
        #expect(bunyan["level"]?.stringValue == "WARN")
        #expect(bunyan["context"]?["name"]?.stringValue == "api")
        #expect(zap["timestamp"]?.stringValue == "2025-12-03T10:00:00.123456Z")
        #expect(zap["error"]?["message"]?.stringValue == "connection refused")
        #expect(zap["error"]?["stack"]?.stringValue?.hasPrefix("main.handler") == true)
        #expect(slog["timestamp"]?.stringValue == "2025-12-03T10:00:00.123456Z")
        #expect(slog["level"]?.stringValue == "WARN")
        #expect(structlog["message"]?.stringValue == "user logged in")
        #expect(structlog["event"]?.stringValue == "log")
        #expect(structlog["logger"]?.stringValue == "auth")
        #expect(structlog["user_id"]?.stringValue == "u-1")
        #expect(python["level"]?.stringValue == "ERROR")
        #expect(python["message"]?.stringValue == "query failed")
        #expect(python["error"]?["stack"]?.stringValue?.hasSuffix("ValueError: bad") == true)
        #expect(python["timestamp"]?.stringValue == "2025-12-03T10:00:00.123000Z")
        #expect(otel["service"]?.stringValue == "orders")
        #expect(otel["version"]?.stringValue == "1.4.2")
        #expect(otel["env"]?.stringValue == "production")
        #expect(otel["method"]?.stringValue == "GET")
        #expect(otel["route"]?.stringValue == "/orders/{id}", "the template wins over the raw path")
        #expect(otel["context"]?["url.path"]?.stringValue == "/orders/42")
        #expect(otel["status"] == .number("500"))
        #expect(otel["error"]?["type"]?.stringValue == "TimeoutError")
        #expect(otel["error"]?["message"]?.stringValue == "upstream timed out")
        #expect(otel["error"]?["stack"]?.stringValue == "at fetch (orders.js:10)")
        #expect(keel["event_id"]?.stringValue == "0193e1a2-0000-7000-8000-000000000001")
        #expect(keel["level"]?.stringValue == "NOTICE")
        #expect(keel["event"]?.stringValue == "deploy.finished")
        #expect(secrets["level"]?.stringValue == "INFO")
        #expect(secrets.jsonText.contains("hunter2") == false)
        #expect(secrets.jsonText.contains("ann@example.com") == false)
        #expect(secrets.jsonText.contains("4111 1111 1111 1111") == false)
    }

    /// `url.path` stands in for a route only when no template is sent.
    @Test func aRawPathIsTheRouteOnlyWithoutATemplate() throws {
        let events = try piped([#"{"msg":"x","url.path":"/health","time":"2025-12-03T10:00:00Z"}"#])
        #expect(events.first?["route"]?.stringValue == "/health")
    }
}
