import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOHTTPTypes

#if canImport(Glibc)
    import Glibc
#endif

/// Sits between the HTTP codec and Hummingbird and decides, per request, whether the network misbehaves.
/// On HTTP/1.1 it also puts a `WireFaultHandler` right above the socket (or TLS), below the HTTP encoder,
/// which does the byte-level part: holding, cutting or dripping the encoded answer, and closing. On HTTP/2
/// it runs in each stream's channel and plays the fault on the stream's parts and the connection.
final class RequestFaultHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let plan: NetworkFaultPlan
    private let wire = WireFaultHandler()
    /// Nil on HTTP/1.1; on HTTP/2 the stream's fault in play, and what it held back.
    private var stream: StreamFault?
    private var isHTTP2 = false
    private var answered = 0
    /// Set by `closeBeforeHandler`: the rest of the request is swallowed, the handler never sees it.
    private var discarding = false

    init(plan: NetworkFaultPlan) { self.plan = plan }

    func handlerAdded(context: ChannelHandlerContext) {
        let operations = context.pipeline.syncOperations
        if let encoder = try? operations.handler(type: HTTPResponseEncoder.self) {
            try? operations.addHandler(wire, position: .before(encoder))
        } else {
            isHTTP2 = context.channel.parent != nil
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let request) = part {
            discarding = false
            // A stream channel serves one request; the connection's earlier streams make it warm.
            if isHTTP2 { plan.countHTTP2Request() }
            let streamID =
                isHTTP2 ? try? context.channel.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID) : nil
            let warm = streamID.map { Int($0) > 1 } ?? (answered > 0)
            if let rule = plan.take(method: request.method.rawValue, path: request.path ?? "/", connectionWarm: warm) {
                if rule.fault == .closeBeforeHandler {
                    discarding = true
                    // On HTTP/2 the connection is the stream's parent; on HTTP/1.1 the parent is the listener.
                    (isHTTP2 ? context.channel.parent ?? context.channel : context.channel).close(promise: nil)
                    return
                }
                if isHTTP2 { stream = StreamFault(rule: rule) } else { wire.arm(rule) }
            }
        }
        guard !discarding else { return }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if stream != nil { return streamWrite(context: context, part: unwrapOutboundIn(data), promise: promise) }
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

extension RequestFaultHandler {
    /// An HTTP/2 stream's fault: the parts it holds back until the answer is complete.
    struct StreamFault {
        var rule: NetworkFaultPlan.Rule
        var head: HTTPResponse?
        var body = ByteBuffer()
    }

    /// HTTP/2: holds the answer's parts; at its end plays the fault on the stream and the connection.
    func streamWrite(context: ChannelHandlerContext, part: HTTPResponsePart, promise: EventLoopPromise<Void>?) {
        promise?.succeed()
        switch part {
        case .head(let head): stream?.head = head
        case .body(var bytes): stream?.body.writeBuffer(&bytes)
        case .end: break
        }
        guard case .end = part, let fault = stream else { return }
        stream = nil
        answered += 1
        let connection = context.channel.parent ?? context.channel
        switch fault.rule.fault {
        case .closeAfterHandler, .closeBeforeHandler, .resetAfterHandler:
            if fault.rule.fault == .resetAfterHandler, let socket = connection as? any SocketOptionProvider {
                socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in connection.close(promise: nil) }
            } else {
                connection.close(promise: nil)
            }
        case .statusLineThenClose, .headersThenClose, .halfBodyThenClose:
            if let head = fault.head { context.write(wrapOutboundOut(.head(head)), promise: nil) }
            if fault.rule.fault == .halfBodyThenClose {
                let half = fault.body.getSlice(at: fault.body.readerIndex, length: fault.body.readableBytes / 2)
                if let half, half.readableBytes > 0 { context.write(wrapOutboundOut(.body(half)), promise: nil) }
            }
            context.writeAndFlush(wrapOutboundOut(.body(ByteBuffer())), promise: nil)
            connection.eventLoop.execute { connection.close(promise: nil) }
        case .dripHeaders:
            let delay = TimeAmount.milliseconds(Int64(20 * fault.rule.dripMilliseconds))
            context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                if let head = fault.head { context.write(self.wrapOutboundOut(.head(head)), promise: nil) }
                context.write(self.wrapOutboundOut(.body(fault.body)), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        case .goAway:
            // Hummingbird's connection manager answers a quiesce with GOAWAY; the connection then dies before
            // the processed stream is answered.
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            connection.eventLoop.execute { connection.close(promise: nil) }
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
        case .closeAfterHandler, .closeBeforeHandler, .goAway:
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
