import Foundation
import Gateway
import HTTPTypes
import Storage
import Testing

/// Subscription secrets are sealed in the store: a dump of the database holds no secret that signs a delivery.
@Suite struct SecretsAtRestTests {
    @Test("a created or rotated secret is stored sealed; the database file does not hold it")
    func secretsAreSealedInTheStore() async throws {
        try await Harness.run { h in
            let created = try await h.send(
                .post, "/v1/subscriptions", body: #"{"url":"http://127.0.0.1:9/s","apps":["ttd/signing-app"]}"#)
            #expect(created.status == 201)
            let id = try #require(created.json["id"] as? String)
            let secret = try #require(created.json["secret"] as? String)
            let rotated = try await h.send(.post, "/v1/subscriptions/\(id)/rotate-secret", body: "{}")
            let newSecret = try #require(rotated.json["secret"] as? String)
            #expect(newSecret != secret)

            let stored = try #require(try await h.store.subscription(id: id))
            #expect(stored.secret.hasPrefix("sealed:v1:"))
            #expect(stored.previousSecret?.hasPrefix("sealed:v1:") == true)
            // The database's bytes on disk (main file and write-ahead log) hold neither secret's key material.
            var dump = Data()
            for suffix in ["", "-wal"] {
                dump.append(
                    FileManager.default.contents(atPath: h.dataDirectory + "/signing-gateway.sqlite" + suffix) ?? Data()
                )
            }
            #expect(!dump.isEmpty)
            for plain in [secret, newSecret] {
                let material = Data(plain.dropFirst("whsec_".count).utf8)
                #expect(dump.range(of: material) == nil)
            }
            // The key that opens them is a separate file.
            #expect(FileManager.default.fileExists(atPath: h.dataDirectory + "/subscription-secrets.key"))
        }
    }

    @Test("secrets stored before sealing are sealed at the next start, and still sign the same")
    func plaintextSecretsAreResealed() async throws {
        try await Harness.run { h in
            let created = try await h.send(
                .post, "/v1/subscriptions", body: #"{"url":"http://127.0.0.1:9/s","apps":["ttd/signing-app"]}"#)
            let id = try #require(created.json["id"] as? String)
            let secret = try #require(created.json["secret"] as? String)
            // As an older gateway left it: the secret in plaintext.
            _ = try await h.store.updateSubscription(id: id) { current in
                var old = current
                old.secret = secret
                return old
            }
            #expect(try await h.store.subscription(id: id)?.secret == secret)
            #expect(try await h.useCases.subscriptions.resealSecrets() == 1)
            let resealed = try #require(try await h.store.subscription(id: id))
            #expect(resealed.secret.hasPrefix("sealed:v1:"))
            #expect(try await h.useCases.subscriptions.resealSecrets() == 0)
        }
    }
}
