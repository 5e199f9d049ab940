import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// An HTTP proxy for tests that stands between a shipper and `keel serve` and misbehaves on demand: passes requests
/// on, answers 503 with `Retry-After`, stalls past the client's timeout, or passes a request on and then answers 502
/// as if the acknowledgement were lost (the server has the batch; the shipper sends it again).
final class FaultProxy: Sendable {
    enum Mode: Sendable, Equatable {
        case pass
        case unavailable
        case stall(Duration)
        case acknowledgementLost
    }

    let target: String
    private let state = Mutex<(mode: Mode, counts: [String: Int])>((.pass, [:]))

    init(target: String) { self.target = target }

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// Requests seen, by what was done with them.
    var counts: [String: Int] { state.withLock { $0.counts } }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.post("/**") { request, context -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 20)
            let mode = self.state.withLock { state -> Mode in
                state.counts["\(state.mode)", default: 0] += 1
                return state.mode
            }
            switch mode {
            case .unavailable:
                return Response(status: .serviceUnavailable, headers: [.retryAfter: "1"])
            case .stall(let duration):
                try await Task.sleep(for: duration)
                return Response(status: .serviceUnavailable)
            case .pass, .acknowledgementLost:
                var forward = HTTPClientRequest(url: self.target + request.uri.description)
                forward.method = .POST
                for field in request.headers where field.name != .contentLength {
                    forward.headers.add(name: field.name.rawName, value: field.value)
                }
                forward.body = .bytes(body)
                let answer = try await HTTPClient.shared.execute(forward, timeout: .seconds(30))
                let bytes = try await answer.body.collect(upTo: 1 << 20)
                if mode == .acknowledgementLost { return Response(status: .badGateway) }
                return Response(status: .init(code: Int(answer.status.code)), body: .init(byteBuffer: bytes))
            }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}
