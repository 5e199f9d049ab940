import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import Keel

/// Where a `keel serve` is and how to sign in: `--server` (or `KEEL_SERVER`), `--token` (or `KEEL_TOKEN`).
struct ServerOptions: ParsableArguments {
    @Option(help: "The server's URL (default: $KEEL_SERVER, else http://127.0.0.1:8080).")
    var server: String?

    @Option(help: "An API token (default: $KEEL_TOKEN).")
    var token: String?

    @Option(help: "The tenant whose events to act on (admin tokens only; other tokens act on their own tenant's).")
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

    /// The process's HTTP client: connection attempts are retried for at most 5 s, so a server that is not there is
    /// reported in seconds, not at the end of a minute-long request deadline. It lives as long as the process.
    static let http = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(5))))

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func url(_ path: String, _ query: [(String, String?)]) -> String {
        var components = URLComponents()
        components.queryItems = (query + [("tenant", options.tenant)]).compactMap { name, value in
            value.map { URLQueryItem(name: name, value: $0) }
        }
        // URLComponents leaves `+` as it is, which a server reads as a space (`=~".+"`, `+02:00`).
        let text = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
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

    /// Sends `request`; a non-2xx answer becomes a ``Failure`` that says what was asked of whom and what came back.
    func send(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(60)) async throws -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: timeout)
        } catch {
            throw Failure(description: "cannot reach \(options.baseURL) (\(error)); is keel serve running there? Set --server or KEEL_SERVER")
        }
        guard (200..<300).contains(response.status.code) else {
            let body = try await response.body.collect(upTo: 1 << 20)
            let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            let message = (try? JSONParser.parse(Array(text.utf8)))?["error"]?.stringValue
            let path = request.url.split(separator: "?").first.map(String.init) ?? request.url
            var description = "\(request.method.rawValue) \(path): \(response.status.code) \(response.status.reasonPhrase)"
            if let message {
                description += ": \(message)"
            } else if response.status == .notFound || response.status == .methodNotAllowed {
                description += "; \(options.baseURL) does not look like a keel serve (set --server or KEEL_SERVER)"
            } else if !text.isEmpty {
                description += ": \(text.prefix(200))"
            }
            throw Failure(description: description)
        }
        return response
    }

    /// The body of a successful answer.
    func body(_ request: HTTPClientRequest, limit: Int = 256 << 20) async throws -> [UInt8] {
        Array(try await send(request).body.collect(upTo: limit).readableBytesView)
    }

    /// A JSON answer.
    func json(_ request: HTTPClientRequest) async throws -> JSONValue {
        let bytes = try await body(request)
        guard let value = try? JSONParser.parse(bytes), case .object = value else {
            throw Failure(description: "the server's answer is not a JSON object")
        }
        return value
    }

    /// A page of `/v1/events`: each event's text as the server sent it (the stored canonical line), and the cursor
    /// of the next page.
    func eventPage(_ request: HTTPClientRequest) async throws -> (events: [ArraySlice<UInt8>], next: String?) {
        let bytes = try await body(request)
        let page = bytes.withUnsafeBufferPointer { text -> (events: [ArraySlice<UInt8>], next: String?)? in
            var members: [JSONReader.Member] = []
            guard (try? JSONReader.members(of: text, maxDepth: 64, into: &members)) != nil else { return nil }
            var events: [ArraySlice<UInt8>] = []
            var next: String?
            for member in members {
                switch String(decoding: text[member.key], as: UTF8.self) {
                case "events" where member.kind == .array:
                    var ranges: [Range<Int>] = []
                    let array = UnsafeBufferPointer(rebasing: text[member.value])
                    guard (try? JSONReader.elements(ofArray: array, maxDepth: 64, into: &ranges)) != nil else { return nil }
                    events = ranges.map { bytes[$0.lowerBound + member.value.lowerBound..<$0.upperBound + member.value.lowerBound] }
                case "next" where member.kind == .string:
                    next = (try? JSONParser.parse(Array(text[member.value])))?.stringValue
                default: break
                }
            }
            return (events, next)
        }
        guard let page else { throw Failure(description: "the server's answer is not a page of events") }
        return page
    }
}
