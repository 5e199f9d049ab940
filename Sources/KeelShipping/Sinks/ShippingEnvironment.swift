public import Keel
import Foundation

/// Shipping set up from the environment, as the rest of Keel's configuration is (``KeelConfiguration/fromEnvironment(_:base:)``):
///
/// | variable | accepts | meaning |
/// | --- | --- | --- |
/// | `LOG_SHIP_URL` | an http(s) URL | where to ship; shipping is off without it |
/// | `LOG_SHIP_FORMAT` | `keel`, `loki`, `otlp` | the server's format (default `keel`) |
/// | `LOG_SHIP_TOKEN` | a token | sent as `Authorization: Bearer …`, or the password with `LOG_SHIP_USER` |
/// | `LOG_SHIP_USER` | a user name | basic authentication (Grafana Cloud: the instance id) |
/// | `LOG_SHIP_TENANT` | a tenant | sent as `X-Scope-OrgID` |
/// | `LOG_SHIP_SPOOL_DIR` | a directory | the disk spool (default `keel-spool` in the working directory) |
/// | `LOG_SHIP_SPOOL_MAX` | a size: `256MB`, `1GiB` | the spool's bound (default 256 MiB) |
/// | `LOG_SHIP_LOKI_LABELS` | field names, comma-separated | Loki's stream labels (default `service,env,level`) |
/// | `LOG_SHIP_LOKI_METADATA` | field names, comma-separated | sent to Loki 3 as structured metadata too (default none) |
/// | `LOG_SHIP_BUFFER` | `memory`, `disk` | where operational lines wait (default `memory`; audit and cost: always the spool) |
extension KeelConfiguration {
    /// The variables ``addShipping(fromEnvironment:)`` reads, with what each accepts.
    public static let shippingEnvironmentVariables: [(name: String, accepts: String, meaning: String)] = [
        ("LOG_SHIP_URL", "an http or https URL", "ship every line to this server; off when unset"),
        ("LOG_SHIP_FORMAT", ShippingDestination.Format.allCases.map(\.rawValue).joined(separator: ", "), "the server's format; default keel"),
        ("LOG_SHIP_TOKEN", "a token", "sent as a bearer token, or as the password with LOG_SHIP_USER"),
        ("LOG_SHIP_USER", "a user name", "basic authentication with LOG_SHIP_TOKEN (Grafana Cloud: the instance id)"),
        ("LOG_SHIP_TENANT", "a tenant name", "sent as X-Scope-OrgID (a multi-tenant Loki)"),
        ("LOG_SHIP_SPOOL_DIR", "a directory path", "the disk spool; default keel-spool in the working directory"),
        ("LOG_SHIP_SPOOL_MAX", "a size of at least 1MiB: 268435456, 256MB, 1GiB …", "the most the spool keeps; default 256 MiB"),
        ("LOG_SHIP_LOKI_LABELS", "field names, comma-separated: service,env,level", "the fields whose values are Loki's stream labels"),
        ("LOG_SHIP_LOKI_METADATA", "field names, comma-separated: trace_id,request_id", "fields sent to Loki 3 as structured metadata too"),
        ("LOG_SHIP_BUFFER", "memory, disk", "where operational lines wait: memory (default), or the disk spool beside audit and cost lines"),
    ]

    /// Adds a ``ShippingSink`` to ``extraSinks`` when `LOG_SHIP_URL` is set (see ``shippingEnvironmentVariables``);
    /// returns it (`nil` when shipping is off). Throws ``ConfigurationError`` for the first value not accepted, and
    /// what opening the spool throws.
    @discardableResult
    public mutating func addShipping(fromEnvironment environment: [String: String]? = nil) throws -> ShippingSink? {
        guard let (destination, options) = try Self.shipping(fromEnvironment: environment) else { return nil }
        let sink = try ShippingSink(destination: destination, options: options)
        extraSinks.append(sink)
        return sink
    }

    /// The destination and options the environment describes, or `nil` without `LOG_SHIP_URL`.
    public static func shipping(
        fromEnvironment environment: [String: String]? = nil
    ) throws(ConfigurationError) -> (ShippingDestination, ShippingOptions)? {
        let environment = environment ?? ProcessEnvironment.current()
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func fail(_ name: String) -> ConfigurationError {
            ConfigurationError(
                variable: name, value: environment[name] ?? "", accepted: shippingEnvironmentVariables.first { $0.name == name }?.accepts ?? "")
        }
        guard let url = value("LOG_SHIP_URL") else { return nil }
        guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
            parsed.host?.isEmpty == false
        else { throw fail("LOG_SHIP_URL") }
        var format = ShippingDestination.Format.keel
        if let text = value("LOG_SHIP_FORMAT") {
            guard let parsed = ShippingDestination.Format(rawValue: text.lowercased()) else { throw fail("LOG_SHIP_FORMAT") }
            format = parsed
        }
        var options = ShippingOptions(spoolDirectory: value("LOG_SHIP_SPOOL_DIR") ?? "keel-spool")
        if let text = value("LOG_SHIP_SPOOL_MAX") {
            guard let bytes = ByteSize.parse(text), bytes >= 1 << 20 else { throw fail("LOG_SHIP_SPOOL_MAX") }
            options.spoolCapacity = bytes
        }
        if let text = value("LOG_SHIP_BUFFER") {
            switch text.lowercased() {
            case "memory": options.spoolsOperationalLines = false
            case "disk": options.spoolsOperationalLines = true
            default: throw fail("LOG_SHIP_BUFFER")
            }
        }
        var destination = ShippingDestination(url: url, format: format, token: value("LOG_SHIP_TOKEN"), tenant: value("LOG_SHIP_TENANT"))
        for (name, path) in [("LOG_SHIP_LOKI_LABELS", \ShippingDestination.lokiLabels), ("LOG_SHIP_LOKI_METADATA", \.lokiStructuredMetadata)] {
            guard let text = value(name) else { continue }
            guard let fields = Self.fieldNames(text) else { throw fail(name) }
            destination[keyPath: path] = fields
        }
        if let user = value("LOG_SHIP_USER") {
            guard let password = destination.token else { throw fail("LOG_SHIP_TOKEN") }
            destination.basicAuth = (user, password)
            destination.token = nil
        }
        return (destination, options)
    }

    /// `service, env,level` as field names; `nil` when one is not a field name (letters, digits, `_`, `.`).
    package static func fieldNames(_ text: String) -> [String]? {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty, names.allSatisfy({ name in
            name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "." }
        }) else { return nil }
        return names
    }
}
