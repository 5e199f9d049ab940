// keel-example: the example service. `keel-example` serves on 127.0.0.1:8081 (`keel serve` has 8080), logging to the console and
// to a rotating file (keel-example.log, or LOG_FILE), and supervises one worker (this binary, `worker` mode) that
// crashes now and then. Try: curl -s localhost:8081/v1/users/u_1; curl -s -XPOST localhost:8081/v1/runs
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
let usage = """
    USAGE: keel-example [--port PORT]

    Keel's example service: a Hummingbird server on 127.0.0.1 (port 8081 by default; keel serve has 8080) that logs
    every request through Keel to the console and to keel-example.log (or LOG_FILE), and supervises one worker that
    crashes now and then. Stop it with Ctrl-C.

      curl -s localhost:8081/v1/users/u_1
      curl -s -XPOST localhost:8081/v1/runs

    """
if arguments.contains("--help") || arguments.contains("-h") {
    print(usage, terminator: "")
    exit(0)
}
let given = Array(arguments)
let port: Int
if given.isEmpty {
    port = 8081
} else if given.count == 2, given[0] == "--port", let number = Int(given[1]), (1...65535).contains(number) {
    port = number
} else {
    FileHandle.standardError.write(Data("keel-example: unexpected arguments \(given.joined(separator: " "))\n\n\(usage)".utf8))
    exit(64)
}

var configuration = try KeelConfiguration.fromEnvironment()
configuration.service = ProcessInfo.processInfo.environment["LOG_SERVICE"] ?? "keel-example"
if configuration.file == nil {
    configuration.file = "keel-example.log"
    configuration.fileRotation = FileRotation(maxBytes: 50 << 20)
}
try Keel.bootstrap(configuration)
let logger = Logger(label: "keel-example")

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
