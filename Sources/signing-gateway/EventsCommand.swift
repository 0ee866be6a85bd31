import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals
import Webhooks

/// `signing-gateway events receive`: a subscriber to try subscriptions with. It verifies each delivery's
/// Standard Webhooks signature with the subscription's secret and prints the events that verify, so a newcomer
/// sees a pushed event end to end without writing a receiver first.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Try event subscriptions out.",
        discussion: CommandHelp.discussion(
            examples: [Receive.example],
            exitCodes: [.init(0, "success (receive: the events came)"), .init(1, "receive: they did not"), .usage]),
        subcommands: [Receive.self])

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Receive pushed events, verify their signatures and print them.",
            discussion: """
                Answers 204 to a delivery whose webhook-signature matches the secret (and
                whose timestamp is within 5 minutes), printing "verified <type> <subject>"
                and the event; anything else gets 401 and a "refused" line. A subscription
                to http://127.0.0.1:<port>/ delivers here. It runs until stopped, or until
                --count events verified.


                """
                    + CommandHelp.discussion(
                        examples: [
                            Self.example,
                            .init(
                                "Wait for one event, at most a minute",
                                "signing-gateway events receive --port 9999 --secret ./subscription.secret --count 1 --timeout 60"
                            ),
                        ],
                        exitCodes: [
                            .init(0, "--count events verified, or stopped with Ctrl-C"),
                            .init(1, "--timeout passed before --count events verified"),
                            .usage,
                        ]))

        static let example = CommandHelp.Example(
            "Print the events of the subscription whose secret this is",
            "signing-gateway events receive --port 9999 --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

        @Option(help: "Listen address.")
        var host = "127.0.0.1"

        @Option(help: "Listen port.")
        var port = 9999

        @Option(help: "The subscription's whsec_ secret, or a file holding it.")
        var secret: String

        @Option(help: "Exit 0 after this many verified events.")
        var count: Int?

        @Option(help: "With --count: exit 1 if they have not all arrived after this many seconds.")
        var timeout: Int?

        func validate() throws {
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
            if let timeout, timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
            if self.timeout != nil, self.count == nil { throw ValidationError("--timeout needs --count") }
        }

        func run() async throws {
            let secret = try self.loadSecret()
            let (verified, continuation) = AsyncStream.makeStream(of: Void.self)
            let router = Router()
            let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
                let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
                let outcome = Self.verify(request.headers, body: body, secret: secret)
                Self.print(outcome.line)
                guard outcome.verified else { return Response(status: .unauthorized) }
                continuation.yield()
                return Response(status: .noContent)
            }
            router.post("/", use: handler)
            router.post("**", use: handler)
            var logger = Logger(label: "signing-gateway-receiver")
            logger.logLevel = .warning
            let app = Application(
                router: router, configuration: .init(address: .hostname(self.host, port: self.port)), logger: logger)
            Self.print("listening on http://\(self.host):\(self.port)/ for events signed with the given secret")
            // Ctrl-C, or enough events, or the timeout: each ends the server through a graceful shutdown.
            let services = ServiceGroup(
                configuration: .init(services: [app], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
            let count = self.count
            let timeout = self.timeout
            let arrived = try await withThrowingTaskGroup(of: Bool?.self) { group in
                group.addTask {
                    try await services.run()
                    return nil
                }
                if let count {
                    group.addTask {
                        var seen = 0
                        for await _ in verified {
                            seen += 1
                            if seen == count { break }
                        }
                        return true
                    }
                }
                if let timeout {
                    group.addTask {
                        try await Task.sleep(for: .seconds(timeout))
                        return false
                    }
                }
                // The first of: the server stopping (a signal), enough events, the timeout.
                var arrived: Bool?
                while let result = try await group.next() {
                    guard let result else { break }
                    if arrived == nil {
                        arrived = result
                        await services.triggerGracefulShutdown()
                        continuation.finish()
                    }
                }
                group.cancelAll()
                return arrived ?? true
            }
            if !arrived {
                Self.print("timed out after \(timeout ?? 0) s before \(count ?? 0) verified events")
                throw ExitCode.failure
            }
        }

        private func loadSecret() throws -> WebhookSecret {
            var text = self.secret
            if !text.hasPrefix(WebhookSecret.prefix) {
                guard let data = FileManager.default.contents(atPath: text) else {
                    throw ValidationError("--secret is neither a whsec_ secret nor a readable file")
                }
                text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            do {
                return try WebhookSecret(encoded: text)
            } catch {
                throw ValidationError("--secret is not a whsec_ secret (whsec_ and base64 of 24-64 bytes)")
            }
        }

        private static func verify(_ headers: HTTPFields, body: [UInt8], secret: WebhookSecret) -> (
            verified: Bool, line: String
        ) {
            guard let id = headers[HTTPField.Name(WebhookSigner.idHeader)!],
                let timestamp = headers[HTTPField.Name(WebhookSigner.timestampHeader)!].flatMap({ Int64($0) }),
                let signature = headers[HTTPField.Name(WebhookSigner.signatureHeader)!]
            else { return (false, "refused: no webhook-id, webhook-timestamp and webhook-signature headers") }
            do {
                try WebhookSigner.verify(
                    id: id, timestamp: timestamp, body: body, signatureHeader: signature, secret: secret)
            } catch {
                return (false, "refused \(id): \(error)")
            }
            let event = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
            let type = event?["type"] as? String ?? "?"
            let subject = event?["subject"] as? String ?? ""
            return (true, "verified \(type) \(subject)\n\(String(decoding: body, as: UTF8.self))")
        }

        /// Unbuffered, so a pipe or a file sees each event as it arrives.
        private static func print(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
