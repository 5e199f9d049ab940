import Keel
import KeelShipping
import Testing

/// Shipping from the environment: off without LOG_SHIP_URL, every variable read, and a value not accepted named with
/// what is.
struct ShippingEnvironmentTests {
    @Test func theVariablesDescribeTheDestinationAndTheSpool() throws {
        #expect(try KeelConfiguration.shipping(fromEnvironment: [:]) == nil)
        let (destination, options) = try #require(try KeelConfiguration.shipping(fromEnvironment: [
            "LOG_SHIP_URL": "https://logs.example.com", "LOG_SHIP_FORMAT": "KEEL", "LOG_SHIP_TOKEN": "keel_abc",
            "LOG_SHIP_SPOOL_DIR": "/var/spool/app", "LOG_SHIP_SPOOL_MAX": "64MB", "LOG_SHIP_BUFFER": "Disk",
        ]))
        #expect(destination == ShippingDestination(url: "https://logs.example.com", format: .keel, token: "keel_abc"))
        #expect(options.spoolDirectory == "/var/spool/app" && options.spoolCapacity == 64 << 20 && options.spoolsOperationalLines)
        let cloud = try #require(try KeelConfiguration.shipping(fromEnvironment: [
            "LOG_SHIP_URL": "https://logs-prod.grafana.net", "LOG_SHIP_FORMAT": "loki", "LOG_SHIP_USER": "123456",
            "LOG_SHIP_TOKEN": "glc_x", "LOG_SHIP_TENANT": "team-a", "LOG_SHIP_LOKI_LABELS": "service, level",
            "LOG_SHIP_LOKI_METADATA": "trace_id,request_id",
        ]))
        #expect(cloud.0.lokiLabels == ["service", "level"] && cloud.0.lokiStructuredMetadata == ["trace_id", "request_id"])
        #expect(cloud.0.format == .loki && cloud.0.basicAuth?.user == "123456" && cloud.0.basicAuth?.password == "glc_x")
        #expect(cloud.0.token == nil && cloud.0.tenant == "team-a")
        let defaults = try #require(try KeelConfiguration.shipping(fromEnvironment: ["LOG_SHIP_URL": "http://127.0.0.1:8080"]))
        #expect(defaults.1.spoolDirectory == "keel-spool" && defaults.1.spoolCapacity == 256 << 20 && defaults.0.token == nil)
        #expect(!defaults.1.spoolsOperationalLines, "operational lines wait in memory unless asked")
    }

    @Test(arguments: [
        (["LOG_SHIP_URL": "logs.example.com"], "LOG_SHIP_URL"),
        (["LOG_SHIP_URL": "http://x", "LOG_SHIP_FORMAT": "syslog"], "LOG_SHIP_FORMAT"),
        (["LOG_SHIP_URL": "http://x", "LOG_SHIP_SPOOL_MAX": "lots"], "LOG_SHIP_SPOOL_MAX"),
        (["LOG_SHIP_URL": "http://x", "LOG_SHIP_SPOOL_MAX": "10KB"], "LOG_SHIP_SPOOL_MAX"),
        (["LOG_SHIP_URL": "http://x", "LOG_SHIP_USER": "me"], "LOG_SHIP_TOKEN"),
        (["LOG_SHIP_URL": "http://x", "LOG_SHIP_BUFFER": "tape"], "LOG_SHIP_BUFFER"),
        (["LOG_SHIP_URL": "http://x", "LOG_SHIP_LOKI_LABELS": "service,{evil}"], "LOG_SHIP_LOKI_LABELS"),
        (["LOG_SHIP_URL": "http://x", "LOG_SHIP_LOKI_METADATA": " , "], "LOG_SHIP_LOKI_METADATA"),
    ])
    func aValueNotAcceptedIsNamedWithWhatIs(environment: [String: String], variable: String) {
        #expect {
            _ = try KeelConfiguration.shipping(fromEnvironment: environment)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == variable && !error.accepted.isEmpty && error.description.contains(variable)
        }
    }
}
