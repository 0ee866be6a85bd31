/// An app's process definition (`GET {app}/api/v1/meta/process`, BPMN 2.0 XML) as far as signing needs it: tasks
/// with their Altinn extension, exclusive gateways and sequence flows. Read with `XMLReader`, never a DTD.
package struct ProcessDefinition: Sendable, Equatable {
    package var processId: String?
    package var tasks: [ProcessTaskDefinition]
    package var gateways: [ProcessGatewayDefinition]
    package var flows: [SequenceFlowDefinition]
    package var startEvents: [String]
    package var endEvents: [String]

    package init(
        processId: String? = nil, tasks: [ProcessTaskDefinition] = [], gateways: [ProcessGatewayDefinition] = [],
        flows: [SequenceFlowDefinition] = [], startEvents: [String] = [], endEvents: [String] = []
    ) {
        self.processId = processId
        self.tasks = tasks
        self.gateways = gateways
        self.flows = flows
        self.startEvents = startEvents
        self.endEvents = endEvents
    }

    package static let bpmnNamespace = "http://www.omg.org/spec/BPMN/20100524/MODEL"
    package static let altinnNamespace = "http://altinn.no/process"

    package var signingTasks: [ProcessTaskDefinition] { self.tasks.filter(\.isSigning) }

    package func task(_ id: String) -> ProcessTaskDefinition? { self.tasks.first { $0.id == id } }

    package func outgoing(_ elementId: String) -> [SequenceFlowDefinition] {
        self.flows.filter { $0.source == elementId }
    }
}

/// `bpmn:task` (or another task kind) with `altinn:taskExtension`.
package struct ProcessTaskDefinition: Sendable, Equatable {
    package var id: String
    package var name: String?
    /// `altinn:taskType`: `data`, `signing`, `confirmation`, `payment`, …
    package var taskType: String?
    /// `altinn:actions/altinn:action`, in order.
    package var actions: [ProcessActionDefinition]
    /// Whether the task has an `altinn:taskExtension` at all (without one a signing task fails at its start).
    package var hasTaskExtension: Bool
    /// `altinn:signatureConfig`; nil when the task has none.
    package var signature: SignatureConfiguration?

    package init(
        id: String, name: String? = nil, taskType: String? = nil, actions: [ProcessActionDefinition] = [],
        hasTaskExtension: Bool = true, signature: SignatureConfiguration? = nil
    ) {
        self.id = id
        self.name = name
        self.taskType = taskType
        self.actions = actions
        self.hasTaskExtension = hasTaskExtension
        self.signature = signature
    }

    package var isSigning: Bool { self.taskType == "signing" }

    package func offers(_ action: String) -> Bool { self.actions.contains { $0.id == action } }
}

/// `<altinn:action type="serverAction">sign</altinn:action>`: the action id is the element's text (an `id`
/// attribute is ignored by Altinn, reference §4).
package struct ProcessActionDefinition: Sendable, Equatable {
    package var id: String
    /// `serverAction` or `processAction` (the default when absent).
    package var type: String?

    package init(id: String, type: String? = nil) {
        self.id = id
        self.type = type
    }
}

/// `altinn:signatureConfig`.
package struct SignatureConfiguration: Sendable, Equatable {
    package var dataTypesToSign: [String] = []
    package var signatureDataType: String?
    package var uniqueFromSignaturesInDataTypes: [String] = []
    package var signeeProviderId: String?
    package var signeeStatesDataTypeId: String?
    package var signingPdfDataType: String?
    package var correspondenceResources: [String] = []
    /// Altinn's default is false.
    package var runDefaultValidator = false

    package init() {}
}

/// `bpmn:exclusiveGateway` (or another gateway kind).
package struct ProcessGatewayDefinition: Sendable, Equatable {
    package var id: String
    /// `exclusiveGateway`, `parallelGateway`, …
    package var kind: String
    /// The `default` attribute: a flow id.
    package var defaultFlow: String?

    package init(id: String, kind: String = "exclusiveGateway", defaultFlow: String? = nil) {
        self.id = id
        self.kind = kind
        self.defaultFlow = defaultFlow
    }
}

/// `bpmn:sequenceFlow`, with its `bpmn:conditionExpression` (an Altinn JSON expression) when it has one.
package struct SequenceFlowDefinition: Sendable, Equatable {
    package var id: String
    package var source: String
    package var target: String
    package var condition: String?

    package init(id: String, source: String, target: String, condition: String? = nil) {
        self.id = id
        self.source = source
        self.target = target
        self.condition = condition
    }
}

/// Why a process definition could not be read.
package enum ProcessDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    case xml(XMLReaderError)
    /// Well-formed XML, but not a BPMN `definitions` document with a `process`.
    case notBPMN(String)

    package var description: String {
        switch self {
        case .xml(let error): return error.description
        case .notBPMN(let what): return "the document is not a BPMN process definition (\(what))"
        }
    }
}

extension ProcessDefinition {
    private static let taskKinds: Set<String> = [
        "task", "userTask", "serviceTask", "manualTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
    ]
    private static let gatewayKinds: Set<String> = [
        "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
    ]

    /// Reads a BPMN document of at most `maxBytes`.
    package static func parse(
        _ bytes: [UInt8], maxBytes: Int = XMLReader.defaultMaxBytes
    ) throws(ProcessDefinitionError) -> ProcessDefinition {
        let root: XMLElement
        do {
            root = try XMLReader.parse(bytes, maxBytes: maxBytes)
        } catch {
            throw .xml(error)
        }
        guard root.namespace == Self.bpmnNamespace, root.localName == "definitions" else {
            throw .notBPMN("the root element is not bpmn:definitions")
        }
        let processes = root.elements(Self.bpmnNamespace, "process")
        guard let process = processes.first else { throw .notBPMN("no bpmn:process") }
        guard processes.count == 1 else { throw .notBPMN("more than one bpmn:process") }
        var definition = ProcessDefinition(processId: process.attribute("id"))
        for element in process.childElements where element.namespace == Self.bpmnNamespace {
            let kind = element.localName
            if Self.taskKinds.contains(kind) {
                definition.tasks.append(try Self.task(element))
            } else if Self.gatewayKinds.contains(kind) {
                definition.gateways.append(
                    ProcessGatewayDefinition(
                        id: try Self.id(element), kind: kind, defaultFlow: element.attribute("default")))
            } else if kind == "sequenceFlow" {
                guard let source = element.attribute("sourceRef"), let target = element.attribute("targetRef") else {
                    throw .notBPMN("a sequenceFlow without sourceRef or targetRef")
                }
                let condition = element.element(Self.bpmnNamespace, "conditionExpression")
                    .map { $0.text.trimmingSpace }
                definition.flows.append(
                    SequenceFlowDefinition(
                        id: try Self.id(element), source: source, target: target,
                        condition: condition.flatMap { $0.isEmpty ? nil : $0 }))
            } else if kind == "startEvent" {
                definition.startEvents.append(try Self.id(element))
            } else if kind == "endEvent" {
                definition.endEvents.append(try Self.id(element))
            }
        }
        return definition
    }

    private static func id(_ element: XMLElement) throws(ProcessDefinitionError) -> String {
        guard let id = element.attribute("id"), !id.isEmpty else {
            throw .notBPMN("a bpmn:\(element.localName) without an id")
        }
        return id
    }

    private static func task(_ element: XMLElement) throws(ProcessDefinitionError) -> ProcessTaskDefinition {
        var task = ProcessTaskDefinition(id: try Self.id(element), name: element.attribute("name"))
        let extensionElement = element.element(Self.bpmnNamespace, "extensionElements")?
            .element(Self.altinnNamespace, "taskExtension")
        task.hasTaskExtension = extensionElement != nil
        guard let taskExtension = extensionElement else { return task }
        let altinn = Self.altinnNamespace
        task.taskType = taskExtension.element(altinn, "taskType")?.text.trimmingSpace
        task.actions =
            taskExtension.element(altinn, "actions")?.elements(altinn, "action").map {
                ProcessActionDefinition(id: $0.text.trimmingSpace, type: $0.attribute("type"))
            } ?? []
        if let config = taskExtension.element(altinn, "signatureConfig") {
            var signature = SignatureConfiguration()
            func text(_ name: String) -> String? {
                config.element(altinn, name).map(\.text.trimmingSpace).flatMap { $0.isEmpty ? nil : $0 }
            }
            func list(_ name: String) -> [String] {
                config.element(altinn, name)?.elements(altinn, "dataType").map(\.text.trimmingSpace)
                    .filter { !$0.isEmpty } ?? []
            }
            signature.dataTypesToSign = list("dataTypesToSign")
            signature.signatureDataType = text("signatureDataType")
            signature.uniqueFromSignaturesInDataTypes = list("uniqueFromSignaturesInDataTypes")
            signature.signeeProviderId = text("signeeProviderId")
            signature.signeeStatesDataTypeId = text("signeeStatesDataTypeId")
            signature.signingPdfDataType = text("signingPdfDataType")
            signature.correspondenceResources = config.elements(altinn, "correspondenceResource")
                .map(\.text.trimmingSpace).filter { !$0.isEmpty }
            // XmlSerializer reads xs:boolean: true/false/1/0.
            signature.runDefaultValidator = ["true", "1"].contains(text("runDefaultValidator") ?? "false")
            task.signature = signature
        }
        return task
    }
}

extension String {
    /// Without leading and trailing XML white space.
    var trimmingSpace: String {
        let space: Set<Character> = [" ", "\t", "\n", "\r", "\r\n"]
        guard let first = self.firstIndex(where: { !space.contains($0) }),
            let last = self.lastIndex(where: { !space.contains($0) })
        else { return "" }
        return String(self[first...last])
    }
}
