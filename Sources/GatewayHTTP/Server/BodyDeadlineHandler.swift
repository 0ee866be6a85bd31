import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body does not arrive in full within `timeout` of its head: a client that
/// trickles a body a byte at a time would otherwise hold a connection (and a handler task) for as long as it
/// likes, because every body part counts as activity for Hummingbird's idle timeout.
///
/// Heads that never complete are the idle timeout's (Hummingbird counts a connection idle until a complete head
/// arrives), so together they bound how long a request may take to arrive.
final class BodyDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head:
            self.deadline?.cancel()
            let loop = context.eventLoop.assumeIsolated()
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            self.deadline = loop.scheduleTask(in: self.timeout) { bound.value.close(promise: nil) }
        case .end:
            self.deadline?.cancel()
            self.deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.deadline?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.deadline?.cancel()
        context.fireChannelInactive()
    }
}
