// keel-example: the example service. `swift run keel-example` serves on 127.0.0.1:8080, logging to the console and
// to a rotating file (keel-example.log, or LOG_FILE), and supervises one worker (this binary, `worker` mode) that
// crashes now and then. Try: curl -s localhost:8080/v1/users/u_1; curl -s -XPOST localhost:8080/v1/runs
import ExampleService
import Foundation
import Hummingbird
import Keel
import KeelSupervisor
import Logging
import ServiceLifecycle
import UnixSignals

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "worker" {
    await ExampleWorker.run()
    exit(0)
}

var configuration = try KeelConfiguration.fromEnvironment()
configuration.service = ProcessInfo.processInfo.environment["LOG_SERVICE"] ?? "keel-example"
if configuration.file == nil {
    configuration.file = "keel-example.log"
    configuration.fileRotation = FileRotation(maxBytes: 50 << 20)
}
try Keel.bootstrap(configuration)
let logger = Logger(label: "keel-example")

let port = arguments.firstIndex(of: "--port").flatMap { arguments[safe: $0 + 1] }.flatMap { Int($0) } ?? 8080
let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
let supervisor = Supervisor(
    workers: [WorkerSpec(id: "worker-1", executable: executable, arguments: ["worker"], readiness: .announced)],
    logger: Logger(label: "supervisor"))

// The server and the supervisor stop together on SIGTERM or Ctrl-C; then everything logged is flushed.
let app = ExampleApplication.make(port: port, logger: logger, supervisor: supervisor)
let services = ServiceGroup(
    services: [app, supervisor], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
try await services.run()
Keel.shutdown()

extension Collection {
    subscript(safe index: Index) -> Element? { indices.contains(index) ? self[index] : nil }
}
