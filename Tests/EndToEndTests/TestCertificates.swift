import AltinnSimulator
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A throw-away CA and a server certificate for 127.0.0.1, made once per test run with the openssl CLI, and removed
/// when the test process exits (a CA key must not outlive the run that trusted it).
enum TestCertificates {
    struct Files: Sendable {
        var caPath: String
        var simulatorTLS: SimulatorTLS
    }

    private static let directory = NSTemporaryDirectory() + "sg-test-ca-\(UUID().uuidString)"

    static let made: Files = {
        let directory = Self.directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(atPath: TestCertificates.directory) }
            let ext = directory + "/server.ext"
            try """
            subjectAltName=IP:127.0.0.1,DNS:localhost
            basicConstraints=CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth
            """.write(toFile: ext, atomically: true, encoding: .utf8)
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            try openssl(
                ["req", "-x509"] + ec + [
                    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=signing-gateway test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
                ], in: directory)
            try openssl(
                ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], in: directory)
            try openssl(
                [
                    "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "server.pem", "-days", "2", "-extfile", ext,
                ], in: directory)
        } catch {
            fatalError("test certificates: \(error)")
        }
        return Files(
            caPath: directory + "/ca.pem",
            simulatorTLS: SimulatorTLS(
                certificateChainPath: directory + "/server.pem", privateKeyPath: directory + "/server.key"))
    }()

    /// `system(3)`, not `Process`: Foundation's `waitUntilExit` can wait forever inside Swift concurrency.
    private static func openssl(_ arguments: [String], in directory: String) throws {
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let status = system("cd '\(directory)' && /usr/bin/openssl \(quoted.joined(separator: " ")) >/dev/null 2>&1")
        guard status == 0 else {
            throw CocoaError(.executableLoad, userInfo: ["arguments": arguments.joined(separator: " ")])
        }
    }
}
