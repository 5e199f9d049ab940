// W4 of shared/bench/STANDARD.md: `w4-server keel|off PORT [LOG_FILE]` serves `GET /hello` on 127.0.0.1:PORT.
// keel: Keel's request middleware, one `http.request` event per request, background delivery to LOG_FILE rotated
// every 64 MiB (the service's normal set-up). off: the same router without the middleware, and no logging at all.
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import Keel
import KeelHummingbird
import Logging

let arguments = CommandLine.arguments
// keel-quiet: the middleware with the logger's level above INFO, so no event is built or written: what the ids and
// the context cost without the access log.
guard arguments.count >= 3, let port = Int(arguments[2]), ["keel", "keel-quiet", "off"].contains(arguments[1]) else {
    print("usage: w4-server keel|keel-quiet|off PORT [LOG_FILE]")
    exit(2)
}
let router = Router()
let logger: Logger
var pipeline: Pipeline?
if arguments[1].hasPrefix("keel") {
    var configuration = KeelConfiguration()
    configuration.console = nil
    configuration.service = "w4"
    configuration.file = arguments.count > 3 ? arguments[3] : "/tmp/w4.log"
    configuration.fileRotation = FileRotation(maxBytes: 64 << 20)
    let made = try Keel.makePipeline(configuration)
    pipeline = made
    logger = Logger(label: "w4") { KeelLogHandler(label: $0, pipeline: made, logLevel: arguments[1] == "keel" ? .info : .critical) }
    router.add(middleware: KeelRequestMiddleware())
} else {
    logger = Logger(label: "w4") { _ in SwiftLogNoOpLogHandler() }
}
router.get("/hello") { _, _ in "Hello, world!" }
let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
try await app.runService()
pipeline?.close()
