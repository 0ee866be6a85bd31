import App
import Foundation
import GatewayHTTP
import HTTPTypes
import Testing

/// Three clients of different policies against one gateway, on both engines: each sees and changes only its own,
/// another client's resource is absent (404, never 403), and every change is audited in the acting client's name.
@Suite struct TenancyTests {
    static let erpKey = APIKeyGenerator.generate()
    static let batchKey = APIKeyGenerator.generate()
    static let watcherKey = APIKeyGenerator.generate()

    static func options(postgres: Bool) -> Harness.Options {
        var options = Harness.Options()
        options.postgres = postgres
        options.clients = [
            // Signs for one app and follows its events; may complete the task.
            "erp": ClientAuthTests.client(
                [ClientAuthTests.apiKey(erpKey)], apps: ["ttd/signing-app"],
                operations: ["sign", "processNext", "read", "events"]),
            // Events of another organisation's apps only.
            "batch": ClientAuthTests.client(
                [ClientAuthTests.apiKey(batchKey)], apps: ["acme/*"], operations: ["events"]),
            // Follows ttd's apps but may not move a process on.
            "watcher": ClientAuthTests.client(
                [ClientAuthTests.apiKey(watcherKey)], apps: ["ttd/*"], operations: ["events", "sign"]),
        ]
        return options
    }

    enum Engine: String, CaseIterable { case sqlite, postgres }

    @Test("subscriptions and deliveries belong to their owner", arguments: Engine.allCases)
    func subscriptionsBelongToTheirOwner(engine: Engine) async throws {
        try await Harness.run(Self.options(postgres: engine == .postgres)) { h in
            func call(
                _ key: String, _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil
            ) async throws -> Harness.Reply {
                var headers: HTTPFields = [.authorization: "Bearer \(key)"]
                if body != nil { headers[.contentType] = "application/json" }
                return try await h.send(method, path, body: body, headers: headers)
            }
            let created = try await call(
                Self.erpKey, .post, "/v1/subscriptions",
                #"{"url":"http://127.0.0.1:9/erp","apps":["ttd/signing-app"]}"#)
            #expect(created.status == 201)
            let erpSub = try #require(created.json["id"] as? String)
            let erpSecret = try #require(created.json["secret"] as? String)

            // The batch client: the erp's subscription is absent to it, whatever it tries.
            let list = try await call(Self.batchKey, .get, "/v1/subscriptions")
            #expect(list.status == 200)
            #expect(!list.text.contains(erpSub))
            for (method, path, body) in [
                (HTTPRequest.Method.get, "/v1/subscriptions/\(erpSub)", nil),
                (.patch, "/v1/subscriptions/\(erpSub)", #"{"url":"http://127.0.0.1:9/stolen"}"#),
                (.post, "/v1/subscriptions/\(erpSub)/rotate-secret", "{}"),
                (.post, "/v1/subscriptions/\(erpSub)/replay?since=2020-01-01T00:00:00Z", nil),
                (.delete, "/v1/subscriptions/\(erpSub)", nil),
            ] as [(HTTPRequest.Method, String, String?)] {
                let reply = try await call(Self.batchKey, method, path, body)
                #expect(reply.status == 404, "\(method) \(path): \(reply.text)")
                #expect(!reply.text.contains("whsec_"))
            }
            let untouched = try await call(Self.erpKey, .get, "/v1/subscriptions/\(erpSub)")
            #expect(untouched.status == 200)
            #expect(untouched.json["url"] as? String == "http://127.0.0.1:9/erp")
            // The secret did not change: rotating now answers a different one than the first.
            let rotated = try await call(Self.erpKey, .post, "/v1/subscriptions/\(erpSub)/rotate-secret", "{}")
            #expect(rotated.status == 200)
            #expect((rotated.json["previousSecretExpiresAt"] as? String) != nil || rotated.json["secret"] != nil)
            #expect(rotated.json["secret"] as? String != erpSecret)

            // Apps stay within the owner's policy, on create and on every change.
            let outside = try await call(
                Self.batchKey, .post, "/v1/subscriptions", #"{"url":"http://127.0.0.1:9/b","apps":["ttd/signing-app"]}"#
            )
            #expect(outside.status == 403)
            let everyApp = try await call(Self.batchKey, .post, "/v1/subscriptions", #"{"url":"http://127.0.0.1:9/b"}"#)
            #expect(everyApp.status == 403)
            let own = try await call(
                Self.batchKey, .post, "/v1/subscriptions", #"{"url":"http://127.0.0.1:9/b","apps":["acme/x"]}"#)
            #expect(own.status == 201)
            let batchSub = try #require(own.json["id"] as? String)
            let widen = try await call(Self.erpKey, .patch, "/v1/subscriptions/\(erpSub)", #"{"apps":["acme/x"]}"#)
            #expect(widen.status == 403)
            let erpList = try await call(Self.erpKey, .get, "/v1/subscriptions")
            #expect(erpList.text.contains(erpSub) && !erpList.text.contains(batchSub))
            #expect(!erpList.text.contains("acme/x"))

            // An admin (the harness's dev client) sees and manages both.
            let all = try await h.send(.get, "/v1/subscriptions")
            #expect(all.text.contains(erpSub) && all.text.contains(batchSub))
            #expect(try await h.send(.get, "/v1/subscriptions/\(batchSub)").status == 200)

            // A sign by the erp fans out to its subscription; its deliveries are the erp's alone.
            let signed = try await call(
                Self.erpKey, .post, "/v1/signatures",
                #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel","track":true}"#)
            #expect(signed.status == 200)
            let erpDeliveries = try await call(Self.erpKey, .get, "/v1/deliveries?subscription=\(erpSub)")
            let items = erpDeliveries.json["items"] as? [[String: Any]] ?? []
            #expect(!items.isEmpty)
            let deliveryId = try #require(items.first?["id"] as? Int)
            let batchDeliveries = try await call(Self.batchKey, .get, "/v1/deliveries")
            #expect((batchDeliveries.json["items"] as? [Any])?.isEmpty == true)
            #expect(try await call(Self.batchKey, .get, "/v1/deliveries/\(deliveryId)").status == 404)
            #expect(try await call(Self.batchKey, .post, "/v1/deliveries/\(deliveryId)/retry").status == 404)
            #expect(try await call(Self.erpKey, .get, "/v1/deliveries/\(deliveryId)").status == 200)

            // Every change is in the audit chain, in the acting client's name.
            let creates = try await h.send(.get, "/v1/audit?operation=subscription.create")
            let records = creates.json["records"] as? [[String: Any]] ?? []
            #expect(Set(records.compactMap { $0["clientId"] as? String }) == ["erp", "batch"])
            let rotations = try await h.send(.get, "/v1/audit?operation=subscription.rotateSecret&clientId=erp")
            #expect((rotations.json["records"] as? [Any])?.count == 1)
            // The refused attempts of the batch client changed nothing, so none is recorded as a change.
            let batchChanges = try await h.send(.get, "/v1/audit?clientId=batch&operation=subscription.update")
            #expect((batchChanges.json["records"] as? [Any])?.isEmpty == true)
            #expect(try await call(Self.erpKey, .delete, "/v1/subscriptions/\(erpSub)").status == 204)
            let deletes = try await h.send(.get, "/v1/audit?operation=subscription.delete")
            let deleted = deletes.json["records"] as? [[String: Any]] ?? []
            #expect(deleted.count == 1 && deleted.first?["clientId"] as? String == "erp")
            #expect(deleted.first?["instance"] as? String == erpSub)
        }
    }

    @Test("the event feed and tracked instances follow the caller's apps", arguments: Engine.allCases)
    func feedsFollowTheCallersApps(engine: Engine) async throws {
        try await Harness.run(Self.options(postgres: engine == .postgres)) { h in
            func call(_ key: String, _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil)
                async throws -> Harness.Reply
            {
                var headers: HTTPFields = [.authorization: "Bearer \(key)"]
                if body != nil { headers[.contentType] = "application/json" }
                return try await h.send(method, path, body: body, headers: headers)
            }
            let signed = try await call(
                Self.erpKey, .post, "/v1/signatures",
                #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoB)","mode":"parallel","track":true}"#)
            #expect(signed.status == 200)
            let erpFeed = try await call(Self.erpKey, .get, "/v1/events")
            #expect(erpFeed.status == 200)
            #expect(erpFeed.text.contains("ttd/signing-app"))
            let batchFeed = try await call(Self.batchKey, .get, "/v1/events")
            #expect(batchFeed.status == 200)
            #expect(batchFeed.text == "[]")
            #expect(!batchFeed.text.contains("51281269"))
            // The cursor still moves past what the batch client may not see.
            #expect(Int(batchFeed.headers[HTTPField.Name("Next-Cursor")!] ?? "0") ?? 0 > 0)

            let erpTracked = try await call(Self.erpKey, .get, "/v1/tracked-instances")
            #expect(erpTracked.text.contains(Harness.demoB.replacingOccurrences(of: "/", with: "/")))
            let batchTracked = try await call(Self.batchKey, .get, "/v1/tracked-instances")
            #expect((batchTracked.json["items"] as? [Any])?.isEmpty == true)
            #expect(
                try await call(
                    Self.batchKey, .get, "/v1/tracked-instances/ttd/signing-app/\(Harness.demoB)"
                ).status == 403)
        }
    }

    @Test("a client with no tokenProfiles list may use only the default profile")
    func noProfileListMeansTheDefaultOnly() async throws {
        try await Harness.run(Self.options(postgres: false)) { h in
            let headers: HTTPFields = [.authorization: "Bearer \(Self.erpKey)", .contentType: "application/json"]
            let other = try await h.send(
                .post, "/v1/signatures",
                body:
                    #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel","tokenProfile":"batch-system-user"}"#,
                headers: headers)
            #expect(other.status == 403)
            #expect(other.problemType == "/problems/forbidden")
            #expect(await h.signCalls(Harness.demoA) == 0)
            let named = try await h.send(
                .post, "/v1/signatures",
                body:
                    #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel","tokenProfile":"dev"}"#,
                headers: headers)
            #expect(named.status == 200)
        }
    }

    @Test("a client's subscriptions are capped; another client's count does not use up its own")
    func subscriptionsPerClientAreCapped() async throws {
        var options = Self.options(postgres: false)
        options.maxSubscriptionsPerClient = 2
        try await Harness.run(options) { h in
            func create(_ key: String, _ n: Int) async throws -> Harness.Reply {
                try await h.send(
                    .post, "/v1/subscriptions", body: #"{"url":"http://127.0.0.1:9/\#(n)","apps":["acme/x"]}"#,
                    headers: [.authorization: "Bearer \(key)", .contentType: "application/json"])
            }
            #expect(try await create(Self.batchKey, 1).status == 201)
            let second = try await create(Self.batchKey, 2)
            #expect(second.status == 201)
            let third = try await create(Self.batchKey, 3)
            #expect(third.status == 409)
            #expect(third.problemType?.hasSuffix("limit-reached") == true)
            // Deleting one makes room again; the admin's own subscriptions count for the admin only.
            let id = try #require(second.json["id"] as? String)
            let deleted = try await h.send(
                .delete, "/v1/subscriptions/\(id)", headers: [.authorization: "Bearer \(Self.batchKey)"])
            #expect(deleted.status == 204)
            #expect(try await create(Self.batchKey, 4).status == 201)
            let admin = try await h.send(.post, "/v1/subscriptions", body: #"{"url":"http://127.0.0.1:9/admin"}"#)
            #expect(admin.status == 201)
        }
    }

    @Test("completeWhenAllSigned needs processNext and is never merged onto another client's row")
    func armingNeedsProcessNext() async throws {
        try await Harness.run(Self.options(postgres: false)) { h in
            func call(_ key: String, _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil)
                async throws -> Harness.Reply
            {
                var headers: HTTPFields = [.authorization: "Bearer \(key)"]
                if body != nil { headers[.contentType] = "application/json" }
                return try await h.send(method, path, body: body, headers: headers)
            }
            let track = #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoC)""#
            let plain = try await call(Self.watcherKey, .post, "/v1/tracked-instances", track + "}")
            #expect(plain.status == 201)
            let armed = try await call(
                Self.watcherKey, .post, "/v1/tracked-instances", track + #","completeWhenAllSigned":true}"#)
            #expect(armed.status == 403)
            #expect(armed.problemType?.hasSuffix("forbidden") == true)
            let viaSign = try await call(
                Self.watcherKey, .post, "/v1/signatures",
                track + #","mode":"parallel","track":true,"completeWhenAllSigned":true}"#)
            #expect(viaSign.status == 403)
            #expect(await h.signCalls(Harness.demoC) == 0)
            let row = try await call(Self.erpKey, .get, "/v1/tracked-instances/ttd/signing-app/\(Harness.demoC)")
            #expect(row.json["completeWhenAllSigned"] as? Bool == false)

            // The erp arms it: from now on the row acts for the erp.
            let byErp = try await call(
                Self.erpKey, .post, "/v1/tracked-instances", track + #","completeWhenAllSigned":true}"#)
            #expect(byErp.status == 200)
            #expect(byErp.json["completeWhenAllSigned"] as? Bool == true)
            let starts = try await h.send(.get, "/v1/audit?operation=tracking.start")
            let clients = (starts.json["records"] as? [[String: Any]] ?? []).compactMap { $0["clientId"] as? String }
            #expect(clients == ["watcher", "erp"])
            #expect(
                try await call(Self.watcherKey, .delete, "/v1/tracked-instances/ttd/signing-app/\(Harness.demoC)")
                    .status == 204)
            let stops = try await h.send(.get, "/v1/audit?operation=tracking.stop")
            #expect((stops.json["records"] as? [[String: Any]])?.first?["clientId"] as? String == "watcher")

            // The erp signs the last signee with completeWhenAllSigned: the tracker's process/next is audited in
            // the erp's name, like a forwarded call (polled until the tracker has done it, within a deadline).
            let signed = try await call(
                Self.erpKey, .post, "/v1/signatures",
                #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel","track":true,"completeWhenAllSigned":true}"#
            )
            #expect(signed.status == 200)
            var automatic: [[String: Any]] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while automatic.isEmpty, ContinuousClock.now < deadline {
                let page = try await h.send(.get, "/v1/audit?operation=trackerProcessNext")
                automatic = page.json["records"] as? [[String: Any]] ?? []
                if automatic.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(automatic.count == 1)
            #expect(automatic.first?["clientId"] as? String == "erp")
            #expect(automatic.first?["outcome"] as? String == "succeeded")
            #expect((automatic.first?["upstreamUrl"] as? String)?.hasSuffix("/process/next") == true)
        }
    }
}
