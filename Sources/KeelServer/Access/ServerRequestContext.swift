public import Hummingbird
public import HummingbirdWebSocket
import NIOCore

/// The request context of `keel serve`'s routes: Hummingbird's core context, and who is asking once
/// ``AuthenticationMiddleware`` has checked the credentials.
public struct ServerRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Where a WebSocket route (Loki's live tail) leaves its handler for the upgrade.
    public let webSocket = WebSocketHandlerReference<ServerRequestContext>()
    /// Set by ``AuthenticationMiddleware`` before any handler of an authenticated group runs; `nil` on the open
    /// routes (`/healthz`).
    public internal(set) var principal: Principal?
    /// The request's connection: whether its client is still there (``clientGone()``).
    let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
