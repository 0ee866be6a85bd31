import HTTPTypes
import Testing

/// Every bad-input class for these endpoints: a clear problem, nothing forwarded to Altinn.
@Suite struct HostileInputTests {
    static let guid = "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01"

    struct BadBody: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var status: Int
        var type: String
        var pointer: String?
        var testDescription: String { self.name }
    }

    static let badBodies: [BadBody] = [
        .init(name: "malformed JSON", body: #"{"app":"#, status: 400, type: "invalid-request", pointer: ""),
        .init(
            name: "truncated JSON", body: #"{"app":"ttd/signing-app","instanceId":"51281269/\#(guid)","mode":"par"#,
            status: 400, type: "invalid-request", pointer: ""),
        .init(name: "not an object", body: "[1,2]", status: 400, type: "invalid-request", pointer: nil),
        .init(name: "empty body", body: "", status: 400, type: "invalid-request", pointer: ""),
        .init(
            name: "unknown member",
            body:
                #"{"app":"ttd/signing-app","instanceId":"51281269/\#(guid)","mode":"parallel","onBehalfof":"310000000"}"#,
            status: 400, type: "invalid-request", pointer: "/onBehalfof"),
        .init(
            name: "wrong type", body: #"{"app":"ttd/signing-app","instanceId":51281269,"mode":"parallel"}"#,
            status: 400, type: "invalid-request", pointer: "/instanceId"),
        .init(
            name: "missing mode", body: #"{"app":"ttd/signing-app","instanceId":"51281269/\#(guid)"}"#, status: 400,
            type: "invalid-request", pointer: "/mode"),
        .init(
            name: "bad mode", body: #"{"app":"ttd/signing-app","instanceId":"51281269/\#(guid)","mode":"twice"}"#,
            status: 400, type: "invalid-request", pointer: "/mode"),
        .init(
            name: "bad GUID", body: #"{"app":"ttd/signing-app","instanceId":"51281269/not-a-guid","mode":"parallel"}"#,
            status: 400, type: "invalid-instance-reference", pointer: "/instanceId"),
        .init(
            name: "party id not an int",
            body: #"{"app":"ttd/signing-app","instanceId":"abc/\#(guid)","mode":"parallel"}"#, status: 400,
            type: "invalid-instance-reference", pointer: "/instanceId"),
        .init(
            name: "dot-dot in app", body: #"{"app":"ttd/..","instanceId":"51281269/\#(guid)","mode":"parallel"}"#,
            status: 400, type: "invalid-instance-reference", pointer: "/app"),
        .init(
            name: "encoded slash in app",
            body: #"{"app":"ttd/a%2Fb","instanceId":"51281269/\#(guid)","mode":"parallel"}"#, status: 400,
            type: "invalid-instance-reference", pointer: "/app"),
        .init(
            name: "NUL in app", body: #"{"app":"ttd/a\u0000b","instanceId":"51281269/\#(guid)","mode":"parallel"}"#,
            status: 400, type: "invalid-instance-reference", pointer: "/app"),
        .init(
            name: "upper-case org",
            body: #"{"app":"TTD/signing-app","instanceId":"51281269/\#(guid)","mode":"parallel"}"#, status: 400,
            type: "invalid-instance-reference", pointer: "/app"),
        .init(
            name: "over-long app",
            body:
                #"{"app":"ttd/\#(String(repeating: "a", count: 80))","instanceId":"51281269/\#(guid)","mode":"parallel"}"#,
            status: 400, type: "invalid-instance-reference", pointer: "/app"),
        .init(
            name: "both selectors",
            body:
                #"{"app":"ttd/signing-app","instanceId":"51281269/\#(guid)","instanceUrl":"http://x/ttd/a/instances/1/\#(guid)","mode":"parallel"}"#,
            status: 400, type: "invalid-request", pointer: ""),
        .init(
            name: "CR LF in language",
            body:
                #"{"app":"ttd/signing-app","instanceId":"51281269/\#(guid)","mode":"parallel","language":"nb\r\nX-Evil: 1"}"#,
            status: 400, type: "invalid-request", pointer: "/language"),
        .init(
            name: "bad onBehalfOf",
            body:
                #"{"app":"ttd/signing-app","instanceId":"51281269/\#(guid)","mode":"parallel","onBehalfOf":"31000000x"}"#,
            status: 400, type: "invalid-request", pointer: "/onBehalfOf"),
        .init(
            name: "unknown token profile",
            body:
                #"{"app":"ttd/signing-app","instanceId":"51281269/\#(guid)","mode":"parallel","tokenProfile":"other"}"#,
            status: 400, type: "unknown-token-profile", pointer: nil),
    ]

    @Test("a language Altinn has no texts for is a 400 naming the three, in a body and in a query")
    func unknownLanguageIsRefused() async throws {
        try await Harness.run { h in
            let before = await h.upstreamRequestCount()
            let body = try await h.sign(Harness.demoB, extra: #","language":"xx""#)
            #expect(body.status == 400)
            #expect(body.text.contains("nb, nn or en"))
            let query = try await h.signees(Harness.demoB, query: "?language=de")
            #expect(query.status == 400)
            #expect(query.text.contains("nb, nn or en"))
            #expect(await h.upstreamRequestCount() == before)
            #expect(try await h.signees(Harness.demoB, query: "?language=nn").status == 200)
        }
    }

    @Test(arguments: badBodies)
    func badSignBodies(_ bad: BadBody) async throws {
        try await Harness.run { h in
            let reply = try await h.send(.post, "/v1/signatures", body: bad.body)
            #expect(reply.status == bad.status, "\(reply.text)")
            #expect(reply.headers[.contentType] == "application/problem+json")
            #expect(reply.problemType == "/problems/\(bad.type)")
            #expect(reply.json["status"] as? Int == bad.status)
            #expect((reply.json["detail"] as? String)?.isEmpty == false)
            if let pointer = bad.pointer {
                let errors = reply.json["errors"] as? [[String: Any]]
                #expect(errors?.first?["pointer"] as? String == pointer, "\(reply.text)")
            }
            #expect(await h.upstreamRequestCount() == 0)
            #expect(await h.signCalls(Harness.demoA) == 0)
        }
    }

    @Test func mediaTypeAndSize() async throws {
        try await Harness.run(Harness.Options(maxRequestBodyBytes: 2048)) { h in
            let body = #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel"}"#
            let noType = try await h.send(.post, "/v1/signatures", body: body, headers: [:])
            #expect(noType.status == 415)
            #expect(noType.problemType == "/problems/unsupported-media-type")
            let text = try await h.send(.post, "/v1/signatures", body: body, headers: [.contentType: "text/plain"])
            #expect(text.status == 415)
            let padded =
                #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel","language":"\#(String(repeating: "x", count: 4096))"}"#
            let big = try await h.send(.post, "/v1/signatures", body: padded)
            #expect(big.status == 413)
            #expect(big.problemType == "/problems/payload-too-large")
            #expect(await h.upstreamRequestCount() == 0)
        }
    }

    @Test func authentication() async throws {
        try await Harness.run { h in
            let body = #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel"}"#
            let none = try await h.send(.post, "/v1/signatures", body: body, authorized: false)
            #expect(none.status == 401)
            #expect(none.problemType == "/problems/unauthenticated")
            #expect(none.headers[.wwwAuthenticate] == "Bearer")
            let wrong = try await h.send(
                .post, "/v1/signatures", body: body,
                headers: [.contentType: "application/json", .authorization: "Bearer \(h.clientKey)x"])
            #expect(wrong.status == 401)
            var doubled: HTTPFields = [.contentType: "application/json"]
            doubled.append(HTTPField(name: .authorization, value: "Bearer \(h.clientKey)"))
            doubled.append(HTTPField(name: .authorization, value: "Bearer \(h.clientKey)"))
            let twice = try await h.send(.post, "/v1/signatures", body: body, headers: doubled)
            #expect(twice.status == 401)
            let read = try await h.send(
                .get, "/v1/instances/ttd/signing-app/\(Harness.demoA)/signees", authorized: false)
            #expect(read.status == 401)
            #expect(await h.upstreamRequestCount() == 0)
        }
    }

    @Test(arguments: [
        ("/v1/instances/ttd/signing-app/51281269/not-a-guid/signees", 400),
        ("/v1/instances/ttd/signing-app/x1/\(guid)/signees", 400),
        ("/v1/instances/TTD/signing-app/51281269/\(guid)/signees", 400),
        ("/v1/instances/ttd/sign%2Fing/51281269/\(guid)/signees", 400),
        ("/v1/instances/ttd/%2E%2E/51281269/\(guid)/signees", 400),
        ("/v1/instances/ttd/signing-app/51281269/\(guid)/signees?taskId=Task_2&taskId=Task_3", 400),
        ("/v1/instances/ttd/signing-app/51281269/\(guid)/signees?evil=1", 400),
        ("/v1/instances/ttd/signing-app/51281269/\(guid)/signees?taskId=Task%0D%0A2", 400),
        ("/v1/instances/ttd/signing-app/51281269/\(guid)/signees?language=english", 400),
        ("/v1/nothing-here", 404),
    ])
    func badPaths(_ path: String, _ status: Int) async throws {
        try await Harness.run { h in
            let reply = try await h.send(.get, path)
            #expect(reply.status == status, "\(path): \(reply.text)")
            #expect(reply.headers[.contentType] == "application/problem+json", "\(path)")
            #expect(await h.upstreamRequestCount() == 0)
        }
    }

    /// Sent byte for byte: libcurl would collapse `/../` before the gateway saw it.
    @Test(arguments: [
        "/v1/instances/ttd/../signing-app/51281269/\(guid)/signees",
        "/v1/instances/ttd/signing-app/../51281269/\(guid)/signees",
        "/v1/instances/../../_simulator/instances",
    ])
    func dotSegmentsNeverReachAltinn(_ target: String) async throws {
        try await Harness.run { h in
            let port = try #require(Int(h.gatewayURL.split(separator: ":").last ?? ""))
            let status = try await RawHTTP.status(
                port: port, target: target, headers: ["Authorization: Bearer \(h.clientKey)"])
            #expect(status == 404, "\(target)")
            #expect(await h.upstreamRequestCount() == 0)
        }
    }

    @Test func wrongMethodIsAProblem() async throws {
        try await Harness.run { h in
            let reply = try await h.send(.get, "/v1/signatures")
            #expect(reply.status == 405, "\(reply.text)")
            #expect(reply.headers[.allow] == "POST")
            #expect(reply.problemType == "/problems/method-not-allowed")
            #expect(reply.headers[.contentType] == "application/problem+json")
            // A path no route serves stays a 404, whatever the method.
            #expect(try await h.send(.delete, "/v1/nothing-here").status == 404)
            #expect(await h.upstreamRequestCount() == 0)
        }
    }
}
