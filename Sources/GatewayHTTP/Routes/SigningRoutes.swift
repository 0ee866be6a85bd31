import AltinnAPI
import Foundation
import Gateway
import HTTPTypes
import Hummingbird

/// `/v1` signing routes. Each handler only translates: HTTP in → command → use case → JSON out.
struct SigningRoutes: Sendable {
    let service: SigningService
    let maxBodyBytes: Int

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("signatures", use: self.sign)
        group.post("process/next", use: self.processNext)
        group.get("instances/:org/:app/:partyId/:instanceGuid/signees", use: self.signees)
    }

    @Sendable func sign(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(SignRequestBody.self, from: request, limit: self.maxBodyBytes)
        let instance = try body.selector.resolve(in: self.service.environment)
        let command = SignCommand(
            instance: instance, mode: body.mode, onBehalfOf: body.onBehalfOf, language: body.language,
            tokenProfile: body.tokenProfile)
        do {
            let outcome = try await self.service.sign(command)
            return Self.json(ResponseBodies.sign(outcome, environment: self.service.environment))
        } catch {
            throw Problem(error)
        }
    }

    @Sendable func processNext(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(ProcessNextRequestBody.self, from: request, limit: self.maxBodyBytes)
        let instance = try body.selector.resolve(in: self.service.environment)
        let command = ProcessNextCommand(instance: instance, language: body.language, tokenProfile: body.tokenProfile)
        do {
            let outcome = try await self.service.processNext(command)
            return Self.json(ResponseBodies.processNext(outcome, environment: self.service.environment))
        } catch {
            throw Problem(error)
        }
    }

    @Sendable func signees(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let instance: InstanceReference
        do {
            let app = try AppReference(
                org: context.parameters.get("org") ?? "", app: context.parameters.get("app") ?? "")
            instance = try InstanceReference(
                app: app,
                instanceId: "\(context.parameters.get("partyId") ?? "")/\(context.parameters.get("instanceGuid") ?? "")"
            )
        } catch {
            throw Problem(error, pointer: "")
        }
        let query = try SigneesQuery(request.uri.queryParameters)
        do {
            let snapshot = try await self.service.signingState(
                SigningStateQuery(
                    instance: instance, taskId: query.taskId, language: query.language, tokenProfile: query.tokenProfile
                ))
            return Self.json(
                ResponseBodies.signees(snapshot, instance: instance, environment: self.service.environment))
        } catch {
            throw Problem(error)
        }
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.serialized)))
    }
}

/// `?taskId=&language=&tokenProfile=` of the signees route. Unknown or repeated parameters are refused.
struct SigneesQuery {
    var taskId: String?
    var language: String?
    var tokenProfile: String?

    init(_ parameters: Parameters) throws(Problem) {
        var seen = Set<String>()
        for (key, value) in parameters {
            let name = String(key)
            let text = String(value)
            guard seen.insert(name).inserted else {
                throw Self.invalid(name, "repeated query parameter")
            }
            switch name {
            case "taskId":
                guard FieldRules.isTaskId(text) else {
                    throw Self.invalid(name, "taskId must be a BPMN task id such as Task_2")
                }
                self.taskId = text
            case "language":
                guard FieldRules.isLanguage(text) else {
                    throw Self.invalid(name, "language must be an ISO 639-1 code")
                }
                self.language = text
            case "tokenProfile":
                guard FieldRules.isTokenProfileName(text) else {
                    throw Self.invalid(name, "tokenProfile is not a valid name")
                }
                self.tokenProfile = text
            default:
                throw Self.invalid(name, "unknown query parameter")
            }
        }
    }

    private static func invalid(_ name: String, _ detail: String) -> Problem {
        Problem(
            .invalidRequest, "\(detail): \(name.prefix(64))",
            extensions: [
                (
                    "errors",
                    .array([.object([("parameter", .string(String(name.prefix(64)))), ("detail", .string(detail))])])
                )
            ])
    }
}
