public import Hummingbird

/// The request context of `keel serve`'s routes: Hummingbird's core context, and who is asking once
/// ``AuthenticationMiddleware`` has checked the credentials.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` before any handler of an authenticated group runs; `nil` on the open
    /// routes (`/healthz`).
    public internal(set) var principal: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
