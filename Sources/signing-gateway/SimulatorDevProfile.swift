import AltinnSimulator
import Foundation
import Tokens

/// The `dev` maskinporten profile of the embedded default: a key made at first run in the data
/// directory (`keys/`), registered with the in-process simulator's Maskinporten.
struct SimulatorDevProfile {
    static let kid = "signing-gateway-dev"
    static let clientId = "signing-gateway-dev-client"
    static let scopes = ["altinn:instances.read", "altinn:instances.write"]

    let keyFile: String

    static func prepare(dataDirectory: String, simulator: AltinnSimulator) async throws -> SimulatorDevProfile {
        let directory = (dataDirectory as NSString).appendingPathComponent("keys")
        let keyFile = (directory as NSString).appendingPathComponent("\(Self.kid).private.pem")
        let jwkFile = (directory as NSString).appendingPathComponent("\(Self.kid).public.jwk.json")
        if !FileManager.default.fileExists(atPath: keyFile) || !FileManager.default.fileExists(atPath: jwkFile) {
            _ = try KeyGenerator.generate(kid: Self.kid, directory: directory)
        }
        guard let jwk = FileManager.default.contents(atPath: jwkFile),
            let registration = MaskinportenClientRegistration(clientId: Self.clientId, publicJWK: jwk)
        else { throw KeyLoadingError.invalid(path: jwkFile, reason: "not a public RSA JWK") }
        await simulator.authority.register(registration)
        return SimulatorDevProfile(keyFile: keyFile)
    }

    /// Acts as the simulator's default system user (org 310000001), who is a signee of the demo instances.
    func profile(simulatorURL: String) -> MaskinportenProfile {
        MaskinportenProfile(
            clientId: Self.clientId, kid: Self.kid, keyFile: self.keyFile, scopes: Self.scopes,
            systemUserOrg: "310000001", issuer: simulatorURL + "/maskinporten/", platform: simulatorURL)
    }
}
