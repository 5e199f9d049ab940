import Hummingbird
import NIOCore
import Synchronization

/// Whether a connection's client has gone: it closed its side (Hummingbird allows half-closed connections, so the
/// channel itself stays open until the server writes) or the connection dropped. A long query polls it and stops.
final class ClientGoneSignal: Sendable {
    private let gone = Atomic<Bool>(false)

    var isSet: Bool { gone.load(ordering: .relaxed) }

    func set() { gone.store(true, ordering: .relaxed) }
}

/// Watches one connection for its client going away, into its ``ClientGoneSignal``.
final class ClientGoneHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    let signal = ClientGoneSignal()

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { signal.set() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        signal.set()
        context.fireChannelInactive()
    }
}

extension ServerRequestContext {
    /// Whether this request's client has gone, as the connection's ``ClientGoneHandler`` sees it: what a query
    /// engine polls (``LogQLEngine/isCancelled``). Never true on a connection without the handler.
    func clientGone() async -> @Sendable () -> Bool {
        let channel = self.channel
        let signal = try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: ClientGoneHandler.self).signal
        }.get()
        guard let signal else { return { false } }
        return { signal.isSet }
    }
}
