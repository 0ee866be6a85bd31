import Testing

@testable import AltinnAPI

@Suite struct InstanceReferenceTests {
    let guid = "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01"

    @Test func parsesAppAndInstanceId() throws {
        let instance = try InstanceReference(app: AppReference("ttd/signing-app"), instanceId: "51281269/\(guid)")
        #expect(instance.app.org == "ttd")
        #expect(instance.app.app == "signing-app")
        #expect(instance.partyId == 51_281_269)
        #expect(instance.instanceGuid == guid)
    }

    @Test("the derived strings, and identity by app, party and GUID only")
    func derivedStringsAndIdentity() throws {
        let instance = try InstanceReference(app: AppReference("ttd/signing-app"), instanceId: "51281269/\(guid)")
        #expect(instance.instanceId == "51281269/\(guid)")
        #expect(instance.description == "ttd/signing-app/instances/51281269/\(guid)")
        let same = try InstanceReference(
            app: AppReference(org: "ttd", app: "signing-app"), partyId: 51_281_269, instanceGuid: guid.uppercased())
        #expect(same == instance)
        #expect(Set([instance, same]).count == 1)
        let other = try InstanceReference(app: AppReference("ttd/signing-app"), instanceId: "51281268/\(guid)")
        #expect(other != instance)
        #expect(Set([instance, other]).count == 2)
    }

    @Test func guidIsCanonicalizedToLowerCase() throws {
        let instance = try InstanceReference(
            app: AppReference("ttd/signing-app"), instanceId: "1/\(guid.uppercased())")
        #expect(instance.instanceGuid == guid)
    }

    @Test(arguments: [
        "../etc", "ttd/..", "ttd%2Fapp", "TTD/app", "ttd/app/extra", "ttd", "/app", "ttd/", "ttd/a%00b",
        "ttd/-app", "ttd/app-", "ttd/" + String(repeating: "a", count: 65), "ttd/a b", "ttd/å",
    ])
    func rejectsBadAppReferences(_ text: String) {
        #expect(throws: InstanceReferenceError.self) { try AppReference(text) }
    }

    @Test(arguments: [
        "51281269", "x/\(UUIDs.sample)", "-1/\(UUIDs.sample)", "0/\(UUIDs.sample)", "2147483648/\(UUIDs.sample)",
        "12345678901/\(UUIDs.sample)", "1/not-a-guid", "1/\(UUIDs.sample)/x", "1/{\(UUIDs.sample)}",
        "1/5d9e906b8b8a4f0b9a523c6f2b7f0a01", "1/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a0g", " 1/\(UUIDs.sample)",
        "+1/\(UUIDs.sample)",
    ])
    func rejectsBadInstanceIds(_ text: String) throws {
        let app = try AppReference("ttd/signing-app")
        #expect(throws: InstanceReferenceError.self) { try InstanceReference(app: app, instanceId: text) }
    }

    @Test func parsesURLsOfTheConfiguredEnvironment() throws {
        let tt02 = try InstanceReference(
            url: "https://ttd.apps.tt02.altinn.no/ttd/signing-app/instances/51281269/\(guid)", environment: .tt02)
        #expect(tt02.app.description == "ttd/signing-app")
        #expect(tt02.partyId == 51_281_269)
        let base = try #require(BaseURL("http://127.0.0.1:9000"))
        let local = try InstanceReference(
            url: "http://127.0.0.1:9000/ttd/signing-app/instances/1/\(guid)/", environment: .baseURL(base))
        #expect(local.instanceId == "1/\(guid)")
    }

    @Test(arguments: [
        "https://evil.example/ttd/signing-app/instances/1/\(UUIDs.sample)",
        "https://ttd.apps.altinn.no/ttd/signing-app/instances/1/\(UUIDs.sample)",
        "https://other.apps.tt02.altinn.no/ttd/signing-app/instances/1/\(UUIDs.sample)",
        "https://ttd.apps.tt02.altinn.no.evil.example/ttd/signing-app/instances/1/\(UUIDs.sample)",
        "https://ttd.apps.tt02.altinn.no@evil.example/ttd/signing-app/instances/1/\(UUIDs.sample)",
        "http://ttd.apps.tt02.altinn.no/ttd/signing-app/instances/1/\(UUIDs.sample)",
    ])
    func refusesURLsOutsideTheEnvironment(_ url: String) {
        #expect(throws: InstanceReferenceError.self) { try InstanceReference(url: url, environment: .tt02) }
    }

    @Test(arguments: [
        "https://ttd.apps.tt02.altinn.no/ttd/signing-app/instances/1/\(UUIDs.sample)?x=1",
        "https://ttd.apps.tt02.altinn.no/ttd/signing-app/instances/1%2F/\(UUIDs.sample)",
        "https://ttd.apps.tt02.altinn.no/ttd/../instances/1/\(UUIDs.sample)",
        "https://ttd.apps.tt02.altinn.no/ttd/signing-app/instances/1",
        "not a url",
    ])
    func refusesMalformedURLs(_ url: String) {
        #expect(throws: InstanceReferenceError.self) { try InstanceReference(url: url, environment: .tt02) }
    }

    @Test func environmentsDeriveTheUpstreamFromConfigurationOnly() throws {
        let instance = try InstanceReference(app: AppReference("ttd/signing-app"), instanceId: "1/\(guid)")
        #expect(
            AltinnEnvironment.tt02.instanceURL(instance)
                == "https://ttd.apps.tt02.altinn.no/ttd/signing-app/instances/1/\(guid)")
        #expect(
            AltinnEnvironment.production.instanceURL(instance)
                == "https://ttd.apps.altinn.no/ttd/signing-app/instances/1/\(guid)")
        let base = try #require(BaseURL("http://127.0.0.1:9000/prefix"))
        #expect(
            AltinnEnvironment.baseURL(base).instanceURL(instance)
                == "http://127.0.0.1:9000/prefix/ttd/signing-app/instances/1/\(guid)")
        #expect(AltinnEnvironment.tt02.appRoot(instance.app) == "https://ttd.apps.tt02.altinn.no/ttd/signing-app")
        #expect(AltinnEnvironment.baseURL(base).appRoot(instance.app) == "http://127.0.0.1:9000/prefix/ttd/signing-app")
        #expect(BaseURL("ftp://x") == nil)
        #expect(BaseURL("http://user@host") == nil)
        #expect(BaseURL("HTTP://Host:80/base/")?.value == "http://host:80/base")
    }
}

enum UUIDs {
    static let sample = "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01"
}
