public import Hummingbird
import KeelHummingbird
public import KeelSupervisor
public import Logging

/// The example service: a Hummingbird application using every part of Keel a service meets — the request
/// middleware, operation scopes, model usage and tool calls, a multi-step run, security audit events, and a
/// supervised worker whose status `/health` reports.
public enum ExampleApplication {
    /// The router with Keel's middleware first, then the routes.
    public static func router(supervisor: Supervisor?) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: KeelRequestMiddleware())
        ExampleRoutes(supervisor: supervisor).add(to: router)
        return router
    }

    /// The application, listening on `host:port` (127.0.0.1 by default; port 0 picks a free one).
    public static func make(
        host: String = "127.0.0.1", port: Int = 8081, logger: Logger, supervisor: Supervisor?
    ) -> some ApplicationProtocol {
        Application(
            router: router(supervisor: supervisor),
            configuration: .init(address: .hostname(host, port: port), serverName: "keel-example"),
            logger: logger)
    }
}
