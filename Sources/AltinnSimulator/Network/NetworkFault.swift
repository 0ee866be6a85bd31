import Synchronization

/// What a real network does to an exchange, played by the simulator's connection itself (not by a route
/// handler), so the client meets it exactly as it would meet a crashing pod or a load balancer.
package enum NetworkFault: String, Sendable, CaseIterable {
    /// The handler ran (its effect is applied), then the connection closes with a FIN and no answer.
    case closeAfterHandler
    /// The handler ran, then the connection is reset (RST) with no answer.
    case resetAfterHandler
    /// The request was read whole, but the connection closes before the handler runs: no effect.
    case closeBeforeHandler
    /// The handler ran; only the status line is sent, then FIN.
    case statusLineThenClose
    /// The handler ran; the status line and headers are sent, then FIN (the body is missing).
    case headersThenClose
    /// The handler ran; headers and half the body are sent, then FIN.
    case halfBodyThenClose
    /// The handler ran; the answer's head is sent a few bytes at a time (`dripMilliseconds` apart), then
    /// the rest. Whether the client waits that long is its deadline's business. (On HTTP/2, where a HEADERS
    /// frame cannot be cut, the whole answer waits 20 × `dripMilliseconds`.)
    case dripHeaders
    /// HTTP/2 only: the handler ran, then the server starts a graceful shutdown (GOAWAY) and the connection
    /// closes before the answer, as a pod stopping mid-drain does. On HTTP/1.1 it is `closeAfterHandler`.
    case goAway
}

/// The exchanges a fault can be aimed at, told apart by method and path as Altinn's routes are.
package enum NetworkRoute: String, Sendable, CaseIterable {
    /// `POST …/instances/{p}/{g}/actions`
    case actions
    /// `PUT …/process/next`
    case processNext
    /// `GET …/process`
    case process
    /// `GET …/signing`
    case signing
    /// `GET …/data/{id}` (a signature document: the proof a sign reads beside the signing state)
    case data
    /// `POST /maskinporten/token`
    case token
    /// `GET /authentication/api/v1/exchange/{provider}`
    case exchange
    /// Any request outside `/_simulator`.
    case any

    /// The specific route of a request, or nil when it is none of them (admin routes, unknown paths).
    static func of(method: String, path: String) -> NetworkRoute? {
        let path = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        if path.hasPrefix("/_simulator") { return nil }
        switch method {
        case "POST" where path.hasSuffix("/actions"): return .actions
        case "PUT" where path.hasSuffix("/process/next"): return .processNext
        case "GET" where path.hasSuffix("/process"): return .process
        case "GET" where path.hasSuffix("/signing"): return .signing
        case "GET" where path.contains("/data/"): return .data
        case "POST" where path.hasSuffix("/maskinporten/token"): return .token
        case "GET" where path.contains("/authentication/api/v1/exchange/"): return .exchange
        default: return .any
        }
    }
}

/// Armed faults and the ones that fired. Read and taken on NIO event loops, synchronously, hence a Mutex
/// rather than the state actor.
package final class NetworkFaultPlan: Sendable {
    package struct Rule: Sendable, Equatable {
        package var route: NetworkRoute
        package var fault: NetworkFault
        /// How many more exchanges it hits.
        package var remaining: Int
        /// Only on a connection that has already answered a request (where libcurl would reuse it).
        package var warmOnly: Bool
        package var dripMilliseconds: Int

        package init(
            route: NetworkRoute, fault: NetworkFault, count: Int = 1, warmOnly: Bool = true,
            dripMilliseconds: Int = 100
        ) {
            self.route = route
            self.fault = fault
            self.remaining = count
            self.warmOnly = warmOnly
            self.dripMilliseconds = dripMilliseconds
        }
    }

    package struct Firing: Sendable, Equatable {
        package var route: NetworkRoute
        package var fault: NetworkFault
        package var path: String
    }

    private struct State {
        var rules: [Rule] = []
        var fired: [Firing] = []
        var http2Requests = 0
    }
    private let state = Mutex(State())

    package init() {}

    package func arm(_ rule: Rule) { state.withLock { $0.rules.append(rule) } }

    package func clear() { state.withLock { $0 = State() } }

    package var rules: [Rule] { state.withLock { $0.rules } }
    package var fired: [Firing] { state.withLock { $0.fired } }
    /// Requests that arrived on an HTTP/2 stream, so a test can tell which protocol the client chose.
    package var http2Requests: Int { state.withLock { $0.http2Requests } }

    func countHTTP2Request() { state.withLock { $0.http2Requests += 1 } }

    /// The fault for this exchange, if a rule hits it; the rule's count goes down by one.
    func take(method: String, path: String, connectionWarm: Bool) -> Rule? {
        guard let route = NetworkRoute.of(method: method, path: path) else { return nil }
        return state.withLock { state in
            guard
                let index = state.rules.firstIndex(where: {
                    ($0.route == route || $0.route == .any) && $0.remaining > 0 && (connectionWarm || !$0.warmOnly)
                })
            else { return nil }
            state.rules[index].remaining -= 1
            let rule = state.rules[index]
            if rule.remaining == 0 { state.rules.remove(at: index) }
            state.fired.append(Firing(route: route, fault: rule.fault, path: path))
            return rule
        }
    }
}
