import AsyncAlgorithms
import Foundation
import Hummingbird
import Keel
import KeelSupervisor
import Logging

/// The example's routes. Each writes what a real service would, and never a request or response body.
struct ExampleRoutes: Sendable {
    let supervisor: Supervisor?
    let model = FakeModel()

    func add(to router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ in
            try JSONResponse(HealthReport(status: "ok", supervisor: supervisor?.status()))
        }
        router.post("/v1/chat") { request, context in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let prompt = String(buffer: body)
            let reply = try await model.complete(prompt, logger: context.logger)
            return try JSONResponse(ChatReply(reply: reply))
        }
        router.post("/v1/runs") { _, context in
            let answer = try await ResearchRun(model: model).run(logger: context.logger)
            return try JSONResponse(ChatReply(reply: answer))
        }
        router.post("/login") { request, context -> Response in
            let login = try await request.decode(as: LoginRequest.self, context: context)
            guard login.password == Self.demoPassword else {
                context.logger.loginFailed(userID: login.user, method: "password", reason: "bad_password")
                throw HTTPError(.unauthorized)
            }
            context.logger.loginSucceeded(userID: login.user, method: "password")
            return Response(status: .noContent)
        }
        router.get("/v1/users/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let user = Self.users[id] else { throw HTTPError(.notFound) }
            return try JSONResponse(user)
        }
        router.get("/v1/export") { _, _ -> Response in
            // A streamed body (no length known up front): the access event counts what was actually sent.
            let chunks = (1...3).map { ByteBuffer(string: "chunk \($0) of the export\n") }
            return Response(status: .ok, body: ResponseBody(asyncSequence: chunks.async))
        }
        router.get("/v1/fail") { _, context -> Response in
            try Keel.operation("upstream.fetch", logger: context.logger) {
                throw UpstreamUnavailable()
            }
        }
        router.get("/v1/crash") { _, _ -> Response in
            struct Unexpected: Error {}
            throw Unexpected()
        }
    }

    /// The one password the example accepts (it is an example).
    static let demoPassword = "correct horse battery staple"
    static let users: [String: User] = ["u_1": User(id: "u_1", name: "Ada"), "u_2": User(id: "u_2", name: "Grace")]
}

/// An upstream dependency that is down: an error that tells Keel its code and that a retry may help.
struct UpstreamUnavailable: HTTPResponseError, ClassifiedError {
    var status: HTTPResponse.Status { .serviceUnavailable }
    var errorCode: String { "upstream_unavailable" }
    var isRetryable: Bool? { true }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status)
    }
}

struct HealthReport: Codable {
    let status: String
    let supervisor: SupervisorStatus?
}

struct ChatReply: Codable {
    let reply: String
}

struct LoginRequest: Codable {
    let user: String
    let password: String
}

struct User: Codable {
    let id: String
    let name: String
}

/// A JSON response body from any `Encodable`.
func JSONResponse(_ value: some Encodable) throws -> Response {
    let data = try JSONEncoder().encode(value)
    return Response(
        status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
