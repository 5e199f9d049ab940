import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOFoundationCompat

/// Where a `keel serve` is and how to sign in: `--server` (or `KEEL_SERVER`), `--token` (or `KEEL_TOKEN`).
struct ServerOptions: ParsableArguments {
    @Option(help: "The server's URL (default: $KEEL_SERVER, else http://127.0.0.1:8080).")
    var server: String?

    @Option(help: "An API token (default: $KEEL_TOKEN).")
    var token: String?

    @Option(help: "The tenant to read (admin tokens only; others read their own).")
    var tenant: String?

    var baseURL: String {
        (server ?? ProcessInfo.processInfo.environment["KEEL_SERVER"] ?? "http://127.0.0.1:8080")
            .trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }

    var bearer: String? { token ?? ProcessInfo.processInfo.environment["KEEL_TOKEN"] }
}

/// The command line's HTTP calls to a `keel serve`.
struct ServerClient {
    let options: ServerOptions

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func url(_ path: String, _ query: [(String, String?)]) -> String {
        var components = URLComponents()
        components.queryItems = (query + [("tenant", options.tenant)]).compactMap { name, value in
            value.map { URLQueryItem(name: name, value: $0) }
        }
        let text = components.percentEncodedQuery ?? ""
        return options.baseURL + path + (text.isEmpty ? "" : "?" + text)
    }

    func request(_ path: String, _ query: [(String, String?)] = [], method: HTTPMethod = .GET, body: [UInt8]? = nil, headers: [(String, String)] = [])
        -> HTTPClientRequest
    {
        var request = HTTPClientRequest(url: url(path, query))
        request.method = method
        if let token = options.bearer { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        return request
    }

    /// Sends `request`; a non-2xx answer becomes a ``Failure`` with the server's message.
    func send(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(60)) async throws -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw Failure(description: "cannot reach \(options.baseURL): \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            let body = try await response.body.collect(upTo: 1 << 20)
            let text = String(buffer: body)
            let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["error"] as? String
            throw Failure(description: "\(response.status.code): \(message ?? text)")
        }
        return response
    }

    func json(_ request: HTTPClientRequest) async throws -> [String: Any] {
        let body = try await send(request).body.collect(upTo: 256 << 20)
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw Failure(description: "the server's answer is not a JSON object")
        }
        return object
    }
}
