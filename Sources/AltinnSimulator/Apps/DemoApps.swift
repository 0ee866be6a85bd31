/// The demo apps' `applicationmetadata.json` and `process.bpmn`, written from the reference (§1.4 gateway pattern,
/// §4 discovery) and Altinn's OpenAPI `ApplicationMetadata`/`DataType` shapes.
enum DemoApps {
    static let xmlType = "text/xml; charset=utf-8"

    /// `ttd/signing-app`: Task_1 (data) → Task_2 (signing, `sign` and `reject`) → a gateway that sends a reject back
    /// to Task_1 and everything else (`sign`, or no action) to the end: safe for a process/next without an action.
    static let signingAppMetadata = """
        {
          "id": "ttd/signing-app",
          "org": "ttd",
          "title": { "nb": "Signering", "en": "Signing" },
          "altinnNugetVersion": "8.12.4.1412",
          "processId": null,
          "dataTypes": [
            { "id": "model", "allowedContentTypes": ["application/xml"], "allowedContributors": null,
              "allowedContributers": null, "actionRequiredToRead": null, "actionRequiredToWrite": null,
              "appLogic": { "autoCreate": true, "classRef": "Altinn.App.Models.Model", "schemaRef": null },
              "taskId": "Task_1", "maxSize": null, "maxCount": 1, "minCount": 1, "enablePdfCreation": true },
            { "id": "ref-data-as-pdf", "allowedContentTypes": ["application/pdf"], "allowedContributors": ["app:owned"],
              "allowedContributers": ["app:owned"], "actionRequiredToRead": null, "actionRequiredToWrite": null,
              "appLogic": null, "taskId": "Task_1", "maxSize": null, "maxCount": 1, "minCount": 1,
              "enablePdfCreation": false },
            { "id": "signatures", "allowedContentTypes": ["application/json"], "allowedContributors": ["app:owned"],
              "allowedContributers": ["app:owned"], "actionRequiredToRead": "signature-access",
              "actionRequiredToWrite": "signature-access", "appLogic": null, "taskId": null, "maxSize": null,
              "maxCount": 0, "minCount": 0, "enablePdfCreation": false },
            { "id": "applicant-signatures", "allowedContentTypes": ["application/json"],
              "allowedContributors": ["app:owned"], "allowedContributers": ["app:owned"],
              "actionRequiredToRead": "signature-access", "actionRequiredToWrite": "signature-access", "appLogic": null,
              "taskId": null, "maxSize": null, "maxCount": 0, "minCount": 0, "enablePdfCreation": false },
            { "id": "signeeState", "allowedContentTypes": ["application/json"], "allowedContributors": ["app:owned"],
              "allowedContributers": ["app:owned"], "actionRequiredToRead": "signature-access",
              "actionRequiredToWrite": "signature-access", "appLogic": null, "taskId": null, "maxSize": null,
              "maxCount": 1, "minCount": 0, "enablePdfCreation": false },
            { "id": "signing-step-pdf", "allowedContentTypes": ["application/pdf"], "allowedContributors": ["app:owned"],
              "allowedContributers": ["app:owned"], "actionRequiredToRead": null, "actionRequiredToWrite": null,
              "appLogic": null, "taskId": "Task_2", "maxSize": null, "maxCount": 1, "minCount": 0,
              "enablePdfCreation": false }
          ],
          "partyTypesAllowed": { "bankruptcyEstate": false, "organisation": true, "person": true, "subUnit": false },
          "autoDeleteOnProcessEnd": false,
          "messageBoxConfig": { "hideSettings": null,
            "syncAdapterSettings": { "disableSync": false, "disableAddActivities": false } },
          "apiScopes": null,
          "created": "2025-01-15T09:12:44.1234567Z",
          "createdBy": "ttd",
          "lastChanged": "2025-03-03T10:02:11.7654321Z",
          "lastChangedBy": "ttd"
        }
        """

    static let signingAppProcess = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Signing demo: fill in, then sign (or reject back to the form). -->
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
            xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:altinn="http://altinn.no/process"
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Altinn_SingleDataTask_Process_Definition"
            targetNamespace="http://bpmn.io/schema/bpmn" exporter="bpmn-js (https://demo.bpmn.io)" exporterVersion="10.2.0">
          <bpmn:process id="SingleDataTask" isExecutable="false">
            <bpmn:startEvent id="StartEvent_1">
              <bpmn:outgoing>Flow_start</bpmn:outgoing>
            </bpmn:startEvent>
            <bpmn:task id="Task_1" name="Utfylling">
              <bpmn:incoming>Flow_start</bpmn:incoming>
              <bpmn:incoming>Flow_reject</bpmn:incoming>
              <bpmn:outgoing>Flow_form</bpmn:outgoing>
              <bpmn:extensionElements>
                <altinn:taskExtension>
                  <altinn:taskType>data</altinn:taskType>
                </altinn:taskExtension>
              </bpmn:extensionElements>
            </bpmn:task>
            <bpmn:sequenceFlow id="Flow_start" sourceRef="StartEvent_1" targetRef="Task_1" />
            <bpmn:sequenceFlow id="Flow_form" sourceRef="Task_1" targetRef="Task_2" />
            <bpmn:task id="Task_2" name="Signering">
              <bpmn:incoming>Flow_form</bpmn:incoming>
              <bpmn:outgoing>Flow_sign</bpmn:outgoing>
              <bpmn:extensionElements>
                <altinn:taskExtension>
                  <altinn:taskType>signing</altinn:taskType>
                  <altinn:actions>
                    <altinn:action>sign</altinn:action>
                    <altinn:action>reject</altinn:action>
                  </altinn:actions>
                  <altinn:signatureConfig>
                    <altinn:dataTypesToSign>
                      <altinn:dataType>ref-data-as-pdf</altinn:dataType>
                    </altinn:dataTypesToSign>
                    <altinn:signatureDataType>signatures</altinn:signatureDataType>
                    <altinn:uniqueFromSignaturesInDataTypes>
                      <altinn:dataType>applicant-signatures</altinn:dataType>
                    </altinn:uniqueFromSignaturesInDataTypes>
                    <altinn:signeeStatesDataTypeId>signeeState</altinn:signeeStatesDataTypeId>
                    <altinn:signeeProviderId>signees</altinn:signeeProviderId>
                    <altinn:signingPdfDataType>signing-step-pdf</altinn:signingPdfDataType>
                    <altinn:correspondenceResource env="tt02">ttd-signing-correspondence</altinn:correspondenceResource>
                    <altinn:runDefaultValidator>true</altinn:runDefaultValidator>
                  </altinn:signatureConfig>
                </altinn:taskExtension>
              </bpmn:extensionElements>
            </bpmn:task>
            <bpmn:sequenceFlow id="Flow_sign" sourceRef="Task_2" targetRef="Gateway_Sign" />
            <bpmn:exclusiveGateway id="Gateway_Sign">
              <bpmn:incoming>Flow_sign</bpmn:incoming>
              <bpmn:outgoing>Flow_reject</bpmn:outgoing>
              <bpmn:outgoing>Flow_done</bpmn:outgoing>
            </bpmn:exclusiveGateway>
            <bpmn:sequenceFlow id="Flow_reject" sourceRef="Gateway_Sign" targetRef="Task_1">
              <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">["equals", ["gatewayAction"], "reject"]</bpmn:conditionExpression>
            </bpmn:sequenceFlow>
            <bpmn:sequenceFlow id="Flow_done" sourceRef="Gateway_Sign" targetRef="EndEvent_1">
              <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"><![CDATA[["notEquals", ["gatewayAction"], "reject"]]]></bpmn:conditionExpression>
            </bpmn:sequenceFlow>
            <bpmn:endEvent id="EndEvent_1">
              <bpmn:incoming>Flow_done</bpmn:incoming>
            </bpmn:endEvent>
          </bpmn:process>
        </bpmn:definitions>
        """

    /// `ttd/lax-signing-app`: what not to go live with. The signing task lists only `sign`, has no
    /// `uniqueFromSignaturesInDataTypes` and no default validator; its gateway routes on `sign` and `reject` only (a
    /// process/next without an action matches no flow); the signed type has no `taskId`; the signature type is neither
    /// app-owned nor read-restricted; custom API scopes; Dialogporten activities off.
    static let laxAppMetadata = """
        {
          "id": "ttd/lax-signing-app",
          "org": "ttd",
          "title": { "nb": "Avtale" },
          "altinnNugetVersion": "8.6.2.911",
          "dataTypes": [
            { "id": "contract", "allowedContentTypes": ["application/pdf"], "allowedContributors": null,
              "allowedContributers": null, "actionRequiredToRead": null, "actionRequiredToWrite": null, "appLogic": null,
              "taskId": null, "maxCount": 1, "minCount": 1, "enablePdfCreation": false },
            { "id": "signatures", "allowedContentTypes": ["application/json"], "allowedContributors": null,
              "allowedContributers": null, "actionRequiredToRead": null, "actionRequiredToWrite": null, "appLogic": null,
              "taskId": null, "maxCount": 0, "minCount": 0, "enablePdfCreation": false }
          ],
          "partyTypesAllowed": { "bankruptcyEstate": false, "organisation": true, "person": true, "subUnit": false },
          "autoDeleteOnProcessEnd": false,
          "messageBoxConfig": { "hideSettings": null,
            "syncAdapterSettings": { "disableSync": false, "disableAddActivities": true } },
          "apiScopes": {
            "users": { "read": "ttd:[app]/instances.read", "write": "ttd:[app]/instances.write",
              "errorMessageTextResourceKey": null },
            "serviceOwners": { "read": "altinn:serviceowner/instances.read", "write": "altinn:serviceowner/instances.write",
              "errorMessageTextResourceKey": null },
            "errorMessageTextResourceKey": null
          }
        }
        """

    static let laxAppProcess = """
        <?xml version="1.0" encoding="UTF-8"?>
        <definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:a="http://altinn.no/process"
            id="Lax_Definitions" targetNamespace="http://bpmn.io/schema/bpmn">
          <process id="LaxSigning" isExecutable="false">
            <startEvent id="StartEvent_1"><outgoing>Flow_1</outgoing></startEvent>
            <sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_1" />
            <task id="Task_1" name="Utfylling">
              <extensionElements><a:taskExtension><a:taskType>data</a:taskType></a:taskExtension></extensionElements>
            </task>
            <sequenceFlow id="Flow_2" sourceRef="Task_1" targetRef="Task_2" />
            <task id="Task_2" name="Signering &amp; avtale">
              <extensionElements>
                <a:taskExtension>
                  <a:taskType>signing</a:taskType>
                  <a:actions><a:action type="serverAction">sign</a:action></a:actions>
                  <a:signatureConfig>
                    <a:dataTypesToSign><a:dataType>contract</a:dataType></a:dataTypesToSign>
                    <a:signatureDataType>signatures</a:signatureDataType>
                  </a:signatureConfig>
                </a:taskExtension>
              </extensionElements>
            </task>
            <sequenceFlow id="Flow_3" sourceRef="Task_2" targetRef="Gateway_1" />
            <exclusiveGateway id="Gateway_1" default="Flow_signed" />
            <sequenceFlow id="Flow_signed" sourceRef="Gateway_1" targetRef="EndEvent_1">
              <conditionExpression>["equals", ["gatewayAction"], "sign"]</conditionExpression>
            </sequenceFlow>
            <sequenceFlow id="Flow_rejected" sourceRef="Gateway_1" targetRef="Task_1">
              <conditionExpression>["equals", ["gatewayAction"], "reject"]</conditionExpression>
            </sequenceFlow>
            <endEvent id="EndEvent_1" />
          </process>
        </definitions>
        """
}
