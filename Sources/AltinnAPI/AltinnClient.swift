import Foundation
import HTTPTypes
import Primitives
package import Transport

/// Typed client for the Altinn app API routes a signing gateway drives. It knows no use case:
/// one method per route, a token in, a decoded model or an `AltinnError` out. No retries here.
package struct AltinnClient: Sendable {
    package let environment: AltinnEnvironment
    let transport: any HTTPTransport
    let userAgent: String
    let timeout: Duration

    package init(environment: AltinnEnvironment, transport: any HTTPTransport, userAgent: String, timeout: Duration) {
        self.environment = environment
        self.transport = transport
        self.userAgent = userAgent
        self.timeout = timeout
    }

    /// `GET …/process`
    package func processState(
        _ instance: InstanceReference,
        token: AccessToken
    ) async throws(AltinnError) -> AppProcessState {
        let response = try await self.send(.getProcess, instance, query: [], body: nil, token)
        return try Self.decode(AppProcessState.self, response, .getProcess)
    }

    /// `PUT …/process/next` with `{"action":…,"actionOnBehalfOf":…}`. With `action: "sign"` this signs
    /// and moves the process on (single signing); with no action it completes the current task.
    package func processNext(
        _ instance: InstanceReference,
        body: ProcessNext,
        language: String?,
        token: AccessToken
    ) async throws(AltinnError) -> AppProcessState {
        let response = try await self.send(
            .processNext, instance, query: Self.languageQuery(language), body: Self.encode(body), token)
        return try Self.decode(AppProcessState.self, response, .processNext)
    }

    /// `POST …/actions` with `{"action":"sign","onBehalfOf":…}`: parallel signing; the process stays.
    package func performAction(
        _ instance: InstanceReference,
        body: UserActionRequest,
        language: String?,
        token: AccessToken
    ) async throws(AltinnError) -> UserActionResponse {
        let response = try await self.send(
            .performAction, instance, query: Self.languageQuery(language), body: Self.encode(body), token)
        return try Self.decode(UserActionResponse.self, response, .performAction)
    }

    /// `GET …/signing[?taskId=]`. Pass the signing task's id once the process has left it.
    package func signingState(
        _ instance: InstanceReference,
        taskId: String?,
        language: String?,
        token: AccessToken
    ) async throws(AltinnError) -> SigningStateResponse {
        var query = Self.languageQuery(language)
        if let taskId { query.append(("taskId", taskId)) }
        let response = try await self.send(.getSigningState, instance, query: query, body: nil, token)
        return try Self.decode(SigningStateResponse.self, response, .getSigningState)
    }

    /// `GET …/instances/{partyId}/{guid}`: the instance with its data elements (to find signature documents).
    package func instance(_ instance: InstanceReference, token: AccessToken) async throws(AltinnError)
        -> InstanceDocument
    {
        let response = try await self.send(.getInstance, instance, query: [], body: nil, token)
        return try Self.decode(InstanceDocument.self, response, .getInstance)
    }

    /// `GET …/data/{dataGuid}` of a signature data element: Storage's `SignDocument`.
    package func signDocument(
        _ instance: InstanceReference, dataElementId: String, token: AccessToken
    ) async throws(AltinnError) -> SignDocument {
        let response = try await self.send(
            .getData, instance, subpath: "/" + PercentEncoding.unreserved(dataElementId), query: [], body: nil, token)
        return try Self.decode(SignDocument.self, response, .getData)
    }

    // MARK: - Wire

    func send(
        _ operation: AltinnOperation,
        _ instance: InstanceReference,
        subpath: String = "",
        query: [(String, String)],
        body: [UInt8]?,
        _ token: AccessToken
    ) async throws(AltinnError) -> InboundResponse {
        var url = operation.url(instance, in: self.environment) + subpath
        if !query.isEmpty {
            url += "?" + query.map { "\($0.0)=\(PercentEncoding.unreserved($0.1))" }.joined(separator: "&")
        }
        // A list of fields, appended to, not a dictionary literal or set by name: those build the fields' index
        // (a sign's 3 calls: 60,000 instructions in HTTPFields).
        var headers = HTTPFields([
            HTTPField(name: .authorization, value: token.authorizationHeaderValue),
            HTTPField(name: .accept, value: "application/json"),
            HTTPField(name: .userAgent, value: self.userAgent),
        ])
        if body != nil { headers.append(HTTPField(name: .contentType, value: "application/json")) }
        return try await self.exchange(operation, url: url, headers: headers, body: body)
    }

    /// One call on the wire: traced, timed into the upstream metrics, and a non-2xx answer decoded once.
    func exchange(
        _ operation: AltinnOperation, url: String, headers: HTTPFields, body: [UInt8]?
    ) async throws(AltinnError) -> InboundResponse {
        var headers = headers
        // Each upstream call is its own span in the caller's trace.
        // Appended: no caller sets a traceparent of its own.
        if let trace = TraceContext.current {
            headers.append(HTTPField(name: Self.traceparent, value: trace.child().traceparent))
        }
        let request = OutboundRequest(
            method: operation.method, url: url, headerFields: headers, body: body, timeout: self.timeout)
        let response: InboundResponse
        let started = ContinuousClock.now
        do {
            response = try await self.transport.execute(request)
        } catch {
            UpstreamMetrics.record(operation, statusClass: "error", elapsed: ContinuousClock.now - started)
            throw .transport(error, operation)
        }
        UpstreamMetrics.record(
            operation, statusClass: UpstreamMetrics.statusClass(Int(response.status.code)),
            elapsed: ContinuousClock.now - started)
        guard (200..<300).contains(response.status.code) else {
            throw .rejected(AltinnRejectionDecoder.decode(response, operation: operation))
        }
        return response
    }

    static let traceparent = HTTPField.Name("traceparent")!

    static func languageQuery(_ language: String?) -> [(String, String)] {
        language.map { [("language", $0)] } ?? []
    }

    private static func encode(_ value: some Encodable) -> [UInt8] {
        // Encoding these fixed models cannot fail; a failure would be a programming error.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }

    static func decode<T: Decodable>(
        _ type: T.Type,
        _ response: InboundResponse,
        _ operation: AltinnOperation
    ) throws(AltinnError) -> T {
        do {
            return try TapeJSONDecoder().decode(type, from: response.body)
        } catch {
            throw .undecodable(status: Int(response.status.code), operation)
        }
    }

    /// The answers read on every request read themselves from the tape (`TapeReadable`).
    static func decode<T: TapeReadable>(
        _ type: T.Type,
        _ response: InboundResponse,
        _ operation: AltinnOperation
    ) throws(AltinnError) -> T {
        do throws(TapeValue.Mismatch) {
            return try TapeValue.read(type, from: response.body)
        } catch {
            throw .undecodable(status: Int(response.status.code), operation)
        }
    }
}
