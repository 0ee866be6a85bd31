import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

#if canImport(Glibc)
    import Glibc
#endif

/// Sits between the HTTP codec and Hummingbird and decides, per request, whether the network misbehaves.
/// On the first request head it also puts a `WireFaultHandler` right above the socket (below the HTTP
/// encoder), which does the byte-level part: holding, cutting or dripping the encoded answer, and closing.
final class RequestFaultHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let plan: NetworkFaultPlan
    private let wire = WireFaultHandler()
    private var answered = 0
    /// Set by `closeBeforeHandler`: the rest of the request is swallowed, the handler never sees it.
    private var discarding = false

    init(plan: NetworkFaultPlan) { self.plan = plan }

    func handlerAdded(context: ChannelHandlerContext) {
        let operations = context.pipeline.syncOperations
        if let encoder = try? operations.handler(type: HTTPResponseEncoder.self) {
            try? operations.addHandler(wire, position: .before(encoder))
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let request) = part {
            discarding = false
            if let rule = plan.take(
                method: request.method.rawValue, path: request.path ?? "/", connectionWarm: answered > 0)
            {
                if rule.fault == .closeBeforeHandler {
                    discarding = true
                    context.close(promise: nil)
                    return
                }
                wire.arm(rule)
            }
        }
        guard !discarding else { return }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd: Bool
        if case .end = unwrapOutboundIn(data) { isEnd = true } else { isEnd = false }
        context.write(data, promise: promise)
        if isEnd {
            answered += 1
            // The encoded answer has passed the wire handler by now (writes run synchronously down the
            // pipeline): let it play the fault on what it holds.
            wire.answerComplete()
        }
    }
}

/// Byte level: while armed, holds the encoded answer; when it is complete, plays the fault on it.
final class WireFaultHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var armed: NetworkFaultPlan.Rule?
    private var held: ByteBuffer?
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func arm(_ rule: NetworkFaultPlan.Rule) {
        armed = rule
        held = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard armed != nil else { return context.write(data, promise: promise) }
        var bytes = unwrapOutboundIn(data)
        if held == nil { held = bytes } else { held?.writeBuffer(&bytes) }
        promise?.succeed()
    }

    func flush(context: ChannelHandlerContext) {
        guard armed == nil else { return }
        context.flush()
    }

    func answerComplete() {
        guard let rule = armed, let context else { return }
        armed = nil
        let answer = held ?? context.channel.allocator.buffer(capacity: 0)
        held = nil
        let bytes = Array(answer.readableBytesView)
        let headEnd = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? bytes.count
        switch rule.fault {
        case .closeAfterHandler, .closeBeforeHandler:
            context.close(promise: nil)
        case .resetAfterHandler:
            reset(context)
        case .statusLineThenClose:
            let lineEnd = bytes.firstRange(of: Array("\r\n".utf8))?.upperBound ?? bytes.count
            send(bytes[..<lineEnd], context, thenClose: true)
        case .headersThenClose:
            send(bytes[..<headEnd], context, thenClose: true)
        case .halfBodyThenClose:
            send(bytes[..<(headEnd + (bytes.count - headEnd) / 2)], context, thenClose: true)
        case .dripHeaders:
            drip(ArraySlice(bytes), headEnd: headEnd, every: .milliseconds(Int64(rule.dripMilliseconds)), context)
        }
    }

    private func send(_ bytes: ArraySlice<UInt8>, _ context: ChannelHandlerContext, thenClose: Bool) {
        let buffer = context.channel.allocator.buffer(bytes: bytes)
        let written = context.writeAndFlush(wrapOutboundOut(buffer))
        if thenClose {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Eight bytes of the head per tick, then the rest of the answer at once; the connection stays usable.
    private func drip(
        _ bytes: ArraySlice<UInt8>, headEnd: Int, every interval: TimeAmount, _ context: ChannelHandlerContext
    ) {
        let headLeft = headEnd - bytes.startIndex
        let chunk = headLeft > 0 ? bytes.prefix(min(8, headLeft)) : bytes
        send(chunk, context, thenClose: false)
        let rest = bytes.dropFirst(chunk.count)
        guard !rest.isEmpty else { return }
        context.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            guard let context = self.context else { return }
            self.drip(rest, headEnd: headEnd, every: interval, context)
        }
    }

    /// SO_LINGER 0 makes close() send RST instead of FIN.
    private func reset(_ context: ChannelHandlerContext) {
        let channel = context.channel
        guard let socket = channel as? any SocketOptionProvider else { return channel.close(promise: nil) }
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }
}
