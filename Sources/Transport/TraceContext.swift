import Primitives

/// A W3C Trace Context position (`traceparent`): which trace a piece of work belongs to and which span
/// it is. It lives here, below every module that makes outbound calls, because propagation is a transport
/// concern; it knows nothing about Altinn.
package struct TraceContext: Sendable, Equatable {
    /// 32 lowercase hex digits, not all zero.
    package let traceId: String
    /// 16 lowercase hex digits, not all zero.
    package let spanId: String
    /// 2 lowercase hex digits (`01` = sampled).
    package let flags: String
    /// The `traceparent` header value, always version `00`. Written once: a request reads it up to four times
    /// (its answer's header, its log metadata, each upstream call, its audit record).
    package let traceparent: String

    /// The trace the current task works for, bound by the inbound HTTP layer for the duration of one request,
    /// so every outbound call made on its behalf (including token fetches it triggers) carries the trace.
    @TaskLocal package static var current: TraceContext?

    /// Parses a `traceparent` header. Version `00` exactly; a future version is read by its first four
    /// fields, as the specification asks. Anything malformed gives `nil` (the caller starts a new trace).
    package init?(traceparent value: String) {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
            parts[0] != "ff", parts[0] != "00" || parts.count == 4,
            parts[0...3].allSatisfy({ $0.utf8.allSatisfy(Self.isLowerHex) }),
            parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" })
        else { return nil }
        self.init(traceId: String(parts[1]), spanId: String(parts[2]), flags: String(parts[3]))
    }

    private init(traceId: String, spanId: String, flags: String) {
        self.traceId = traceId
        self.spanId = spanId
        self.flags = flags
        self.traceparent = "00-\(traceId)-\(spanId)-\(flags)"
    }

    /// A new trace: fresh trace id and span id. Flagged sampled, so a collector downstream may keep it.
    package static func root() -> TraceContext {
        TraceContext(traceId: Self.randomHex(bytes: 16), spanId: Self.randomHex(bytes: 8), flags: "01")
    }

    /// A new span in the same trace (a new span id, the same trace id and flags).
    package func child() -> TraceContext {
        TraceContext(traceId: self.traceId, spanId: Self.randomHex(bytes: 8), flags: self.flags)
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// Never all zero: the all-zero id is invalid, so a zero draw is redrawn.
    private static func randomHex(bytes: Int) -> String {
        // Eight bytes per draw: each draw is a system call.
        var generator = SystemRandomNumberGenerator()
        while true {
            var raw: [UInt8] = []
            raw.reserveCapacity(bytes + 7)
            while raw.count < bytes { withUnsafeBytes(of: generator.next()) { raw.append(contentsOf: $0) } }
            raw.removeLast(raw.count - bytes)
            guard raw.contains(where: { $0 != 0 }) else { continue }
            return Hex.encode(raw)
        }
    }
}
