import Foundation
import Testing

@testable import AltinnAPI

/// The BPMN subset a signing gateway reads, and where Altinn's navigator sends a process/next (reference §1.4, §4).
@Suite struct ProcessDefinitionTests {
    static func bpmn(_ body: String, prefix: String = "bpmn") -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <\(prefix):definitions xmlns:\(prefix)="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:altinn="http://altinn.no/process" id="D">
          <\(prefix):process id="P">\(body)</\(prefix):process>
        </\(prefix):definitions>
        """
    }

    static func signingTask(_ id: String = "Task_2", actions: String, config: String) -> String {
        """
        <bpmn:task id="\(id)" name="Signering">
          <bpmn:extensionElements><altinn:taskExtension>
            <altinn:taskType>signing</altinn:taskType>
            <altinn:actions>\(actions)</altinn:actions>
            <altinn:signatureConfig>\(config)</altinn:signatureConfig>
          </altinn:taskExtension></bpmn:extensionElements>
        </bpmn:task>
        """
    }

    static func gateway(_ conditions: [(id: String, target: String, condition: String?)], default flow: String? = nil)
        -> String
    {
        var text = #"<bpmn:sequenceFlow id="F_out" sourceRef="Task_2" targetRef="G" />"#
        text += #"<bpmn:exclusiveGateway id="G""# + (flow.map { #" default="\#($0)""# } ?? "") + " />"
        for (id, target, condition) in conditions {
            text += #"<bpmn:sequenceFlow id="\#(id)" sourceRef="G" targetRef="\#(target)">"#
            if let condition { text += "<bpmn:conditionExpression>\(condition)</bpmn:conditionExpression>" }
            text += "</bpmn:sequenceFlow>"
        }
        return text + #"<bpmn:endEvent id="End" /><bpmn:task id="Task_1" />"#
    }

    func parse(_ text: String) throws -> ProcessDefinition { try ProcessDefinition.parse(Array(text.utf8)) }

    @Test func readsTheSigningTaskExtension() throws {
        let definition = try parse(
            Self.bpmn(
                #"<bpmn:startEvent id="S" />"#
                    + Self.signingTask(
                        actions:
                            #"<altinn:action>sign</altinn:action><altinn:action type="serverAction">reject</altinn:action><altinn:action id="write"/>"#,
                        config: """
                            <altinn:dataTypesToSign><altinn:dataType> ref-data-as-pdf </altinn:dataType><altinn:dataType>model</altinn:dataType></altinn:dataTypesToSign>
                            <altinn:signatureDataType>signatures</altinn:signatureDataType>
                            <altinn:uniqueFromSignaturesInDataTypes><altinn:dataType>first</altinn:dataType></altinn:uniqueFromSignaturesInDataTypes>
                            <altinn:signeeProviderId>signees</altinn:signeeProviderId>
                            <altinn:signeeStatesDataTypeId>signeeState</altinn:signeeStatesDataTypeId>
                            <altinn:signingPdfDataType>pdf</altinn:signingPdfDataType>
                            <altinn:correspondenceResource env="tt02">res</altinn:correspondenceResource>
                            <altinn:runDefaultValidator>true</altinn:runDefaultValidator>
                            """) + #"<bpmn:endEvent id="E" />"#))
        #expect(definition.processId == "P")
        #expect(definition.startEvents == ["S"])
        #expect(definition.endEvents == ["E"])
        let task = try #require(definition.signingTasks.first)
        #expect(task.id == "Task_2")
        #expect(task.name == "Signering")
        // The action id is the element text; an id attribute gives an empty id (as in Altinn).
        #expect(task.actions.map(\.id) == ["sign", "reject", ""])
        #expect(task.actions[1].type == "serverAction")
        #expect(task.offers("sign") && task.offers("reject") && !task.offers("write"))
        let signature = try #require(task.signature)
        #expect(signature.dataTypesToSign == ["ref-data-as-pdf", "model"])
        #expect(signature.signatureDataType == "signatures")
        #expect(signature.uniqueFromSignaturesInDataTypes == ["first"])
        #expect(signature.signeeProviderId == "signees")
        #expect(signature.signeeStatesDataTypeId == "signeeState")
        #expect(signature.signingPdfDataType == "pdf")
        #expect(signature.correspondenceResources == ["res"])
        #expect(signature.runDefaultValidator)
    }

    @Test func defaultNamespaceAndOtherPrefixesWork() throws {
        let text = """
            <definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:x="http://altinn.no/process">
              <process id="P"><task id="T"><extensionElements><x:taskExtension><x:taskType>signing</x:taskType>
              </x:taskExtension></extensionElements></task></process></definitions>
            """
        let definition = try parse(text)
        #expect(definition.signingTasks.map(\.id) == ["T"])
        // No signatureConfig: Altinn's default configuration (nothing to sign, validator off).
        #expect(definition.signingTasks[0].signature == nil)
    }

    @Test func refusesWhatIsNotABPMNProcess() {
        for text in [
            "<definitions/>", #"<a:definitions xmlns:a="urn:x"><a:process id="P"/></a:definitions>"#,
            Self.bpmn("").replacingOccurrences(of: #"<bpmn:process id="P"></bpmn:process>"#, with: ""),
            Self.bpmn(#"<bpmn:task name="no id"/>"#), Self.bpmn(#"<bpmn:sequenceFlow id="F" sourceRef="A"/>"#),
        ] {
            #expect(throws: ProcessDefinitionError.self) { try parse(text) }
        }
        #expect(throws: ProcessDefinitionError.xml(.declarationRefused)) {
            try parse("<!DOCTYPE x>" + Self.bpmn(""))
        }
    }

    @Test func routesLikeAltinnsNavigator() throws {
        let safe = try parse(
            Self.bpmn(
                Self.signingTask(actions: "", config: "")
                    + Self.gateway([
                        ("F_reject", "Task_1", #"["equals", ["gatewayAction"], "reject"]"#),
                        ("F_done", "End", #"["notEquals", ["gatewayAction"], "reject"]"#),
                    ])))
        #expect(safe.route(from: "Task_2", action: "sign") == .element("End"))
        #expect(safe.route(from: "Task_2", action: "reject") == .element("Task_1"))
        #expect(safe.route(from: "Task_2", action: nil) == .element("End"))

        // The usual pattern from Altinn's tests: a null action matches no flow (500 in Altinn).
        let unsafe = try parse(
            Self.bpmn(
                Self.signingTask(actions: "", config: "")
                    + Self.gateway(
                        [
                            ("F_reject", "Task_1", #"["equals", ["gatewayAction"], "reject"]"#),
                            ("F_sign", "End", #"["equals", ["gatewayAction"], "sign"]"#),
                        ], default: "F_sign")))
        #expect(unsafe.route(from: "Task_2", action: "sign") == .element("End"))
        #expect(unsafe.route(from: "Task_2", action: nil) == .noFlow(gateway: "G"))

        // A flow without a condition counts as true: two true flows for reject.
        let twice = try parse(
            Self.bpmn(
                Self.signingTask(actions: "", config: "")
                    + Self.gateway([
                        ("F_reject", "Task_1", #"["equals", ["gatewayAction"], "reject"]"#), ("F_any", "End", nil),
                    ])))
        #expect(twice.route(from: "Task_2", action: "reject") == .ambiguous(at: "G", count: 2))
        #expect(twice.route(from: "Task_2", action: nil) == .element("End"))

        // No conditions: the default flow, else several targets are ambiguous.
        let plain = try parse(
            Self.bpmn(
                Self.signingTask(actions: "", config: "") + Self.gateway([("A", "End", nil), ("B", "Task_1", nil)]))
        )
        #expect(plain.route(from: "Task_2", action: nil) == .ambiguous(at: "G", count: 2))
        let defaulted = try parse(
            Self.bpmn(
                Self.signingTask(actions: "", config: "")
                    + Self.gateway([("A", "End", nil), ("B", "Task_1", nil)], default: "B")))
        #expect(defaulted.route(from: "Task_2", action: nil) == .element("Task_1"))

        // A data-model lookup cannot be evaluated here.
        let data = try parse(
            Self.bpmn(
                Self.signingTask(actions: "", config: "")
                    + Self.gateway([
                        ("A", "End", #"["equals", ["dataModel", "x"], "y"]"#),
                        ("B", "Task_1", #"["notEquals", ["dataModel", "x"], "y"]"#),
                    ])))
        #expect(data.route(from: "Task_2", action: nil) == .undetermined(at: "G"))

        // No gateway: the single flow; none at all: no flow.
        let direct = try parse(
            Self.bpmn(
                Self.signingTask(actions: "", config: "")
                    + #"<bpmn:sequenceFlow id="F" sourceRef="Task_2" targetRef="End" /><bpmn:endEvent id="End" />"#))
        #expect(direct.route(from: "Task_2", action: nil) == .element("End"))
        let dead = try parse(Self.bpmn(Self.signingTask(actions: "", config: "")))
        #expect(dead.route(from: "Task_2", action: nil) == .noFlow(gateway: "Task_2"))
    }

    @Test func evaluatesTheExpressionSubset() {
        let cases: [(String, String?, Bool?)] = [
            (#"["equals", ["gatewayAction"], "sign"]"#, "sign", true),
            (#"["equals", ["gatewayAction"], "sign"]"#, nil, false),
            (#"["equals", ["gatewayAction"], null]"#, nil, true),
            (#"["notEquals", ["gatewayAction"], "reject"]"#, nil, true),
            (#"["not", ["equals", ["gatewayAction"], "reject"]]"#, "sign", true),
            (#"["and", true, ["equals", "a", "a"]]"#, nil, true),
            (#"["or", false, ["equals", 1, "1"]]"#, nil, true),
            ("true", nil, true),
            ("false", nil, false),
            (#"["equals", ["dataModel", "x"], "y"]"#, "sign", nil),
            (#"["gatewayAction", "extra"]"#, "sign", nil),
            (#""sign""#, "sign", nil),
            ("not json", nil, nil),
            (#"{"a":1}"#, nil, nil),
        ]
        for (expression, action, expected) in cases {
            #expect(ProcessExpression.evaluate(expression, gatewayAction: action) == expected, "\(expression)")
        }
    }
}
