import Foundation
import Keel
import KeelQuery
import Testing

/// The parser: what each construct becomes, what it refuses and where, and that every construct prints back as
/// LogQL that parses to the same thing.
struct LogQLParserTests {
    @Test func constructsBecomeTheirNodes() throws {
        let api = LabelMatcher("service", .equal, "api")
        let powers = MetricExpression.binary(BinaryOperation(.power, .literal(3), .binary(BinaryOperation(.power, .literal(2), .literal(2)))))
        let sum = MetricExpression.binary(BinaryOperation(.add, .literal(1), .binary(BinaryOperation(.multiply, .literal(2), powers))))
        let precedence = LogQLExpression.metric(.binary(BinaryOperation(.greater, sum, .literal(4), returnsBool: true)))
        let cases: [(String, LogQLExpression)] = [
            (#"{service="api"}"#, .log(LogSelector(matchers: [api]))),
            (
                #"{service="api", level=~"ERROR|WARN", env!="dev", route!~"/health.*"}"#,
                .log(LogSelector(matchers: [
                    api, LabelMatcher("level", .matches, "ERROR|WARN"), LabelMatcher("env", .notEqual, "dev"),
                    LabelMatcher("route", .notMatches, "/health.*"),
                ]))
            ),
            (
                #"{service="api"} |= "timeout" != "retry" |~ "(?i)db" !~ "x+" | json | status >= 500 and duration_ms > 250ms or error_code=~"DB_.*""#,
                .log(LogSelector(matchers: [api], stages: [
                    .lineFilter(LineFilter(.contains, "timeout")), .lineFilter(LineFilter(.notContains, "retry")),
                    .lineFilter(LineFilter(.matches, "(?i)db")), .lineFilter(LineFilter(.notMatches, "x+")), .json,
                    .labelFilter(.or(
                        .and(.comparison("status", .greaterOrEqual, .number(500)), .comparison("duration_ms", .greater, .duration(0.25, "250ms"))),
                        .comparison("error_code", .matches, .string("DB_.*")))),
                ]))
            ),
            (
                #"{service="api"} | logfmt | line_format "{{.route}} {{.status}}" | label_format r=route, s="{{.status}}!" | drop a, b | keep route"#,
                .log(LogSelector(matchers: [api], stages: [
                    .logfmt, .lineFormat("{{.route}} {{.status}}"), .labelFormat([LabelFormat("r", .label("route")), LabelFormat("s", .template("{{.status}}!"))]),
                    .drop(["a", "b"]), .keep(["route"]),
                ]))
            ),
            (
                #"sum by (level) (count_over_time({service="api"}[1m]))"#,
                .metric(.vector(VectorAggregation(.sum, grouping: Grouping(["level"]), .range(RangeAggregation(.countOverTime, LogSelector(matchers: [api]), range: 60_000_000_000)))))
            ),
            (
                #"quantile_over_time(0.95, {service="api"} | unwrap duration_ms [5m] offset 1h) by (route)"#,
                .metric(.range(RangeAggregation(
                    .quantileOverTime, LogSelector(matchers: [api], stages: [.unwrap("duration_ms", .none)]), range: 300_000_000_000,
                    offset: 3_600_000_000_000, parameter: 0.95, grouping: Grouping(["route"]))))
            ),
            (
                #"topk(5, sum(rate({service="api"}[5m])) without (status))"#,
                .metric(.vector(VectorAggregation(.topk, parameter: 5, .vector(VectorAggregation(
                    .sum, grouping: Grouping(without: true, ["status"]), .range(RangeAggregation(.rate, LogSelector(matchers: [api]), range: 300_000_000_000)))))))
            ),
            ("vector(1)+vector(1)", .metric(.binary(BinaryOperation(.add, .vectorLiteral(1), .vectorLiteral(1))))),
            // Precedence: `*` before `+`, `^` right to left, comparisons last.
            ("1 + 2 * 3 ^ 2 ^ 2 > bool 4", precedence),
        ]
        for (text, expected) in cases {
            #expect(try LogQLParser.parse(text) == expected, "\(text)")
        }
    }

    @Test func everyConstructPrintsBackToItself() throws {
        let queries = [
            #"{service="api", level=~"ERROR|WARN", env!="dev", route!~"/health.*"}"#,
            #"{service="api"} |= "a \"quoted\" \\ text" != "retry" |~ "\\d+ms" !~ "x+""#,
            #"{service="api"} | json | status >= 500 and (duration_ms > 1.5s or size < 10KiB) , user_id != "" | __error__ = """#,
            #"{service="api"} | logfmt | line_format "{{.route}}" | label_format r=route, s="{{.status}}" | drop a | keep route, status"#,
            #"{service="api"} | unwrap bytes(size)"#,
            #"count_over_time({service="api"}[30s])"#, #"rate({service="api"} |= "x" [1h30m])"#,
            #"bytes_over_time({service="api"}[5m])"#, #"bytes_rate({service="api"}[5m])"#, #"absent_over_time({service="api"}[5m])"#,
            #"sum_over_time({service="api"} | unwrap duration_ms [5m])"#, #"avg_over_time({service="api"} | unwrap duration(latency) [5m]) by (route)"#,
            #"min_over_time({service="api"} | unwrap x [5m])"#, #"max_over_time({service="api"} | unwrap x [5m]) without (level)"#,
            #"first_over_time({service="api"} | unwrap x [5m])"#, #"last_over_time({service="api"} | unwrap x [5m])"#,
            #"stddev_over_time({service="api"} | unwrap x [5m])"#, #"stdvar_over_time({service="api"} | unwrap x [5m])"#,
            #"quantile_over_time(0.99, {service="api"} | unwrap x [5m] offset 10m)"#,
            #"sum by (service) (rate({level="ERROR"}[5m])) / sum by (service) (rate({service=~".+"}[5m])) > 0.05"#,
            #"topk(5, sum by (error_code) (count_over_time({error_code!="", service="api"}[1h])))"#,
            #"bottomk(2, avg(count_over_time({service="api"}[1m])))"#, #"sort_desc(max(count_over_time({service="api"}[1m])))"#,
            #"count(count_over_time({service="api"}[1m])) and vector(1) or vector(0) unless vector(2)"#,
            #"stddev(count_over_time({service="api"}[1m])) - -1 % 2 == bool 1 != 0 < 3 <= 4 >= 5"#,
            "-1.5 * vector(2)", "1e3",
        ]
        for query in queries {
            let parsed = try LogQLParser.parse(query)
            let printed = parsed.description
            #expect(try LogQLParser.parse(printed) == parsed, "\(query) printed as \(printed)")
        }
    }

    @Test func refusalsSayWhereAndWhy() {
        let cases: [(String, String)] = [
            (#"{service="api""#, "parse error at line 1, col 15: syntax error: unexpected end of input, expecting }"),
            (#"{service="api"} | status > "x""#, "parse error at line 1, col 28: syntax error: status > needs a number, a duration or a size"),
            (#"{service=~".*"}"#, "queries require at least one regexp or equality matcher"),
            ("{}", "queries require at least one regexp or equality matcher"),
            (#"sum_over_time({service="api"}[5m])"#, "invalid aggregation sum_over_time without unwrap"),
            (#"count_over_time({service="api"} | unwrap x [5m])"#, "invalid aggregation count_over_time with unwrap"),
            (#"count_over_time({service="api"})"#, "expecting ["),
            (#"rate({service="api"}[0s])"#, "a range must be longer than 0"),
            (#"{service="api"} + 1"#, "unexpected +"),
            (#"1 + {service="api"}"#, "a log query cannot be combined with numbers"),
            (#"nosuch({service="api"}[5m])"#, "unexpected IDENTIFIER nosuch"),
            (#"{service=~"("}"#, "invalid regular expression"),
            (#"{service="api"} | regexp "(?P<x>.*)""#, "the regexp stage is not supported"),
            (#"{service="api"} | line_format "{{ if .x }}""#, "only {{.label}} and {{__line__}} are supported"),
            (#"topk(0, count_over_time({service="api"}[1m]))"#, "topk needs a whole k from 1"),
            ("{service=\"api\"}\n  |= \"x\" |", "parse error at line 2, col 11: syntax error: unexpected end of input"),
            (#"{service="api"} |= "unterminated"#, "unterminated string"),
            ("rate({service=\"api\"}[5q])", "invalid duration or size 5q"),
        ]
        for (query, expected) in cases {
            do {
                _ = try LogQLParser.parse(query)
                Issue.record("\(query) was accepted")
            } catch {
                #expect(error.description.contains(expected), "\(query): \(error.description)")
            }
        }
    }
}

/// Every LogQL query the documents teach and the committed dashboard uses is one Keel runs.
struct LogQLDocumentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyQueryInDocsQueryParses() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/query.md"), encoding: .utf8)
        let blocks = text.components(separatedBy: "```logql\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] }
        #expect(blocks.count >= 6)
        for block in blocks { #expect(throws: Never.self, "\(block)") { try LogQLParser.parse(block) } }
    }

    @Test func everyDashboardQueryParses() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("dashboards/service-health.json"))
        let dashboard = try JSONParser.parse(Array(data))
        guard case .array(let panels)? = dashboard["panels"] else {
            Issue.record("no panels")
            return
        }
        var checked = 0
        for panel in panels {
            guard case .array(let targets)? = panel["targets"] else { continue }
            for target in targets {
                guard let expression = target["expr"]?.stringValue else { continue }
                // Grafana's variables, as Grafana fills them in.
                let query = expression.replacingOccurrences(of: "$service", with: ".+")
                    .replacingOccurrences(of: "$__interval", with: "1m").replacingOccurrences(of: "$__range", with: "6h")
                #expect(throws: Never.self, "\(query)") { try LogQLParser.parse(query) }
                checked += 1
            }
        }
        #expect(checked == 5)
    }
}
