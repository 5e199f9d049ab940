import ArgumentParser
import Foundation
import Keel

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List a keel serve's alerting rules, their states and their alerts.",
        discussion: """
            One line per rule (its group, state, health and last evaluation), and under it each active alert with its
            labels, value and summary (docs/alerts.md):
              keel alerts
              keel alerts --firing
            """)

    @OptionGroup var server: ServerOptions
    @Flag(help: "Only rules with an alert firing.") var firing = false
    @Flag(help: "Print the server's answer (/prometheus/api/v1/rules) as it came.") var json = false

    func run() async throws {
        let client = ServerClient(options: server)
        let answer = try await client.json(client.request("/prometheus/api/v1/rules"))
        if json {
            print(answer.jsonText)
            return
        }
        print(Self.render(answer, firingOnly: firing), terminator: "")
    }

    /// The rules of a `/prometheus/api/v1/rules` answer as aligned text.
    static func render(_ answer: JSONValue, firingOnly: Bool) -> String {
        guard case .array(let groups)? = answer["data"]?["groups"], !groups.isEmpty else {
            return "No rules. Load them with keel serve --rules DIR, or POST them to /loki/api/v1/rules/NAMESPACE (docs/alerts.md).\n"
        }
        var rows: [[String]] = [["NAMESPACE/GROUP", "RULE", "STATE", "HEALTH", "LAST EVALUATION"]]
        var details: [Int: [String]] = [:]
        for group in groups {
            let place = "\(group["file"]?.stringValue ?? "")/\(group["name"]?.stringValue ?? "")"
            guard case .array(let rules)? = group["rules"] else { continue }
            for rule in rules {
                let state = rule["type"]?.stringValue == "recording" ? "recording" : rule["state"]?.stringValue ?? "?"
                if firingOnly, state != "firing" { continue }
                var health = rule["health"]?.stringValue ?? "?"
                if let error = rule["lastError"]?.stringValue, !error.isEmpty { health += ": " + error }
                let evaluated = rule["lastEvaluation"]?.stringValue ?? ""
                rows.append([place, rule["name"]?.stringValue ?? "", state, health, evaluated.hasPrefix("0001") ? "never" : evaluated])
                guard case .array(let alerts)? = rule["alerts"] else { continue }
                details[rows.count - 1] = alerts.map { alert in
                    let labels: [String]
                    if case .object(let members)? = alert["labels"] {
                        labels = members.filter { $0.key != "alertname" }.map { "\($0.key)=\($0.value.stringValue ?? "")" }
                    } else {
                        labels = []
                    }
                    var line = "    \(alert["state"]?.stringValue ?? "?")  \(labels.joined(separator: " "))  value \(alert["value"]?.stringValue ?? "?")"
                    line += "  since \(alert["activeAt"]?.stringValue ?? "?")"
                    if let summary = alert["annotations"]?["summary"]?.stringValue, !summary.isEmpty { line += "  — \(summary)" }
                    return line
                }
            }
        }
        guard rows.count > 1 else { return "No rule has an alert firing.\n" }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for (index, row) in rows.enumerated() {
            text += row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
            for line in details[index] ?? [] { text += line + "\n" }
        }
        return text
    }
}
