@testable import KeelServer
@testable import KeelRules
import Testing

/// Annotations render the way Prometheus rule files are written, and anything Keel cannot render is refused when
/// the rule is read rather than sent half done.
struct AlertTemplateTests {
    static let labels = ["service": "api", "alertname": "ErrorShare"]

    static func render(_ text: String, value: Double = 3.25) throws -> String {
        try AlertTemplate(text).render(labels: labels, value: value)
    }

    @Test func labelsAndValuesRenderInEverySpelling() throws {
        let table: [(String, Double, String)] = [
            ("{{ $labels.service }} logs {{ $value }} errors a second", 3.25, "api logs 3.25 errors a second"),
            ("{{.Labels.service}}: {{.Value}}", 3, "api: 3"),
            (#"{{ index $labels "service" }}"#, 1, "api"),
            ("{{ $labels.missing }}|", 1, "|"),
            ("{{ $value | humanize }}", 1234.5, "1.234k"),
            ("{{ humanize $value }}", 0.0125, "12.5m"),
            ("{{ $value | humanizePercentage }}", 0.0731, "7.31%"),
            (#"{{ printf "%.2f" $value }}"#, 2.0 / 3, "0.67"),
            (#"{{ $value | printf "%.1f" }}"#, 10, "10.0"),
            ("a  {{- $labels.service -}}  b", 1, "aapib"),
            ("no template at all", 1, "no template at all"),
            ("{{ $value }}", 1_500_000, "1500000"),
        ]
        for (text, value, expected) in table { #expect(try Self.render(text, value: value) == expected, "\(text)") }
    }

    @Test func whatKeelCannotRenderIsRefusedNamingIt() {
        for text in ["{{ range $labels }}x{{ end }}", "{{ $externalLabels.cluster }}", "{{ $labels.service ", #"{{ printf "%s" $value }}"#, "{{ }}"] {
            #expect(throws: RuleFile.Invalid.self, "\(text)") { try AlertTemplate(text) }
        }
    }

    @Test func aRuleWithABadAnnotationIsRefusedWithItsName() {
        let yaml = """
            groups:
              - name: g
                rules:
                  - alert: A
                    expr: sum(count_over_time({level="ERROR"}[5m])) > 1
                    annotations: {summary: "{{ template \\"x\\" }}"}
            """
        #expect {
            try RuleFile.parse(yaml)
        } throws: { error in
            "\(error)".contains("rule \"A\"") && "\(error)".contains("annotation summary")
        }
    }
}
