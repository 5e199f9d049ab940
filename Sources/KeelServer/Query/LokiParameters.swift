import Hummingbird
import Keel
import KeelQuery

/// The parameters of a Loki API request: the query string, and for a `POST` its form body (Grafana and `logcli`
/// send either).
struct LokiParameters {
    private var values: [String: [String]] = [:]

    struct Invalid: Error {
        var message: String
    }

    init(_ request: Request, server: KeelServer) async throws(Invalid) {
        add(form: request.uri.query ?? "")
        guard request.method == .post else { return }
        let body: [UInt8]
        do { body = try await server.collectBody(request, upTo: 1 << 20) } catch { throw Invalid(message: "the form body could not be read") }
        add(form: String(decoding: body, as: UTF8.self))
    }

    /// `a=1&b=2` (a query string or a form body), names and values decoded.
    private mutating func add(form: String) {
        for pair in form.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decoded(parts[0]) else { continue }
            values[name, default: []].append(parts.count > 1 ? Self.decoded(parts[1]) ?? "" : "")
        }
    }

    subscript(name: String) -> String? { values[name]?.last }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// A time (nanoseconds) in any of Loki's forms, or `fallback` when absent.
    func time(_ name: String, default fallback: Int64) throws(Invalid) -> Int64 {
        guard let text = self[name], !text.isEmpty else { return fallback }
        guard let ns = LokiTime.nanoseconds(text) else {
            throw Invalid(message: "invalid parameter \(name): \(text.prefix(64)) is not a Unix time or an RFC 3339 time")
        }
        return ns
    }

    /// `start` and `end`: by default the last `lookback` before now.
    func range(lookback: Int64) throws(Invalid) -> (start: Int64, end: Int64) {
        let now = Timestamp.now().microsecondsSinceEpoch &* 1000
        let end = try time("end", default: now)
        let start = try time("start", default: end &- lookback)
        guard start <= end else { throw Invalid(message: "invalid parameters: the end of the range is before its start") }
        return (start, end)
    }

    func integer(_ name: String, default fallback: Int) throws(Invalid) -> Int {
        guard let text = self[name], !text.isEmpty else { return fallback }
        guard let value = Int(text), value >= 0 else { throw Invalid(message: "invalid parameter \(name): \(text.prefix(64)) is not a whole number") }
        return value
    }

    /// `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte.
    private static func decoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let b = utf8.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
