import HummingbirdCore
import Logging
import NIOCore

/// Every connection of `keel serve`, with Keel's own handlers in front of Hummingbird's:
///
/// - ``HeadDeadlineHandler`` closes a connection whose first request head has not arrived in full within `timeout`:
///   the slowloris guard. Hummingbird's plain HTTP/1 channel times out an idle connection from its first byte, but its
///   WebSocket-upgrade channel (which `keel serve` uses, for Loki's live tail) adds that timer only once a whole head
///   has been read. From the first complete head on, Hummingbird's own idle timeout holds as before.
/// - ``ClientGoneHandler`` notes when the client goes away, so that its queries stop.
struct KeelChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let timeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandlers([HeadDeadlineHandler(timeout: timeout), ClientGoneHandler()], position: .first)
        }.flatMap { inner.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async { await inner.handle(value: value, logger: logger) }
}

/// Watches the raw bytes for the end of the first head (`\r\n\r\n`); closes the channel if it has not come in time.
final class HeadDeadlineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var done = false
    /// The last bytes read, so that an end of head split between two reads is still seen.
    private var tail: [UInt8] = []

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard timer == nil, !done else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) { bound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !done {
            let buffer = unwrapInboundIn(data)
            let bytes = tail + buffer.readableBytesView
            if bytes.count >= 4, (0...(bytes.count - 4)).contains(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) {
                done = true
                timer?.cancel()
                tail = []
            } else {
                tail = Array(bytes.suffix(3))
            }
        }
        context.fireChannelRead(data)
    }
}
