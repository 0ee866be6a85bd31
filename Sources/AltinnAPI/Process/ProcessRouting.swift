import Foundation

/// Where a `process/next` from a task goes, as Altinn's process navigator decides it (reference §1.4): the single
/// outgoing flow is followed; at an exclusive gateway with conditions, exactly one flow must be true (a flow without a
/// condition counts as true, `default=` is no fallback); at a gateway without conditions, the single flow or the
/// `default` one is followed. `["gatewayAction"]` is the request's action (null for a process/next without one).
package enum ProcessRoute: Sendable, Equatable {
    /// The next task or end event.
    case element(String)
    /// No flow is true: Altinn answers 500 ("Exclusive gateway … returned 0 flows").
    case noFlow(gateway: String)
    /// More than one flow is true, or several targets and no default: Altinn answers 500.
    case ambiguous(at: String, count: Int)
    /// A condition uses more than `gatewayAction` (data model lookups, custom gateways) or the element is not an
    /// exclusive gateway: the gateway cannot tell statically.
    case undetermined(at: String)
}

extension ProcessDefinition {
    /// The element a `process/next` with `action` (nil: none) leaves `taskId` for.
    package func route(from taskId: String, action: String?) -> ProcessRoute {
        var current = taskId
        // Gateways may follow gateways; a cycle of gateways alone is not a process Altinn could run either.
        for _ in 0..<16 {
            let outgoing = self.outgoing(current)
            let isGateway = self.gateways.first { $0.id == current }
            if let gateway = isGateway {
                guard gateway.kind == "exclusiveGateway" else { return .undetermined(at: current) }
                switch Self.choose(outgoing, gateway: gateway, action: action) {
                case .flow(let flow): current = flow.target
                case .stop(let route): return route
                }
            } else if current == taskId {
                guard let flow = outgoing.first else { return .noFlow(gateway: current) }
                guard outgoing.count == 1 else { return .ambiguous(at: current, count: outgoing.count) }
                current = flow.target
            } else {
                return .element(current)
            }
            if !self.gateways.contains(where: { $0.id == current }) { return .element(current) }
        }
        return .undetermined(at: current)
    }

    private static func choose(
        _ flows: [SequenceFlowDefinition], gateway: ProcessGatewayDefinition, action: String?
    ) -> GatewayChoice {
        guard flows.contains(where: { $0.condition != nil }) else {
            if flows.count == 1 { return .flow(flows[0]) }
            if let id = gateway.defaultFlow, let flow = flows.first(where: { $0.id == id }) { return .flow(flow) }
            return .stop(flows.isEmpty ? .noFlow(gateway: gateway.id) : .ambiguous(at: gateway.id, count: flows.count))
        }
        var chosen: [SequenceFlowDefinition] = []
        for flow in flows {
            guard let condition = flow.condition else {
                chosen.append(flow)
                continue
            }
            guard let value = ProcessExpression.evaluate(condition, gatewayAction: action) else {
                return .stop(.undetermined(at: gateway.id))
            }
            if value { chosen.append(flow) }
        }
        switch chosen.count {
        case 0: return .stop(.noFlow(gateway: gateway.id))
        case 1: return .flow(chosen[0])
        default: return .stop(.ambiguous(at: gateway.id, count: chosen.count))
        }
    }
}

/// What an exclusive gateway does with a request: follow one flow, or stop the route there.
private enum GatewayChoice {
    case flow(SequenceFlowDefinition)
    case stop(ProcessRoute)
}

/// The part of Altinn's JSON expression language a signing gateway's routing uses: literals, `["gatewayAction"]`,
/// `equals`, `notEquals`, `not`, `and`, `or`. Anything else is not evaluated (nil), never guessed.
package enum ProcessExpression {
    package static func evaluate(_ text: String, gatewayAction: String?) -> Bool? {
        guard let node = try? JSONDecoder().decode(Node.self, from: Data(text.utf8)) else { return nil }
        guard case .bool(let result)? = Self.value(node, gatewayAction, depth: 0) else { return nil }
        return result
    }

    /// A JSON value as written (objects are not part of the language).
    private indirect enum Node: Decodable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([Node])
        case object

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([Node].self) {
                self = .array(value)
            } else {
                _ = try container.decode([String: Node].self)
                self = .object
            }
        }
    }

    private enum Value: Equatable {
        case null
        case bool(Bool)
        case string(String)
        case number(Double)

        /// Altinn compares by string form: `true`/`false`, numbers as written, null as null.
        var comparable: String? {
            switch self {
            case .null: return nil
            case .bool(let value): return value ? "true" : "false"
            case .string(let value): return value
            case .number(let value):
                return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
            }
        }
    }

    private static func value(_ node: Node, _ action: String?, depth: Int) -> Value? {
        guard depth < 32 else { return nil }
        let array: [Node]
        switch node {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .number(let value): return .number(value)
        case .string(let value): return .string(value)
        case .object: return nil
        case .array(let items): array = items
        }
        guard case .string(let function)? = array.first else { return nil }
        let arguments = Array(array.dropFirst())
        func argument(_ index: Int) -> Value? {
            arguments.count > index ? Self.value(arguments[index], action, depth: depth + 1) : nil
        }
        switch function {
        case "gatewayAction":
            guard arguments.isEmpty else { return nil }
            return action.map(Value.string) ?? .null
        case "equals", "notEquals":
            guard arguments.count == 2, let left = argument(0), let right = argument(1) else { return nil }
            let equal = left.comparable == right.comparable
            return .bool(function == "equals" ? equal : !equal)
        case "not":
            guard arguments.count == 1, case .bool(let operand)? = argument(0) else { return nil }
            return .bool(!operand)
        case "and", "or":
            guard !arguments.isEmpty else { return nil }
            var results: [Bool] = []
            for index in 0..<arguments.count {
                guard case .bool(let operand)? = argument(index) else { return nil }
                results.append(operand)
            }
            return .bool(function == "and" ? results.allSatisfy { $0 } : results.contains(true))
        default:
            return nil
        }
    }
}
