// Per-call cost of logging through Keel, next to swift-log's own cost and the handlers Keel is compared with.
// Benchmark names use no spaces or slashes: benchmark 1.38.1 writes threshold files with those replaced but reads
// them back by the raw name.
// Scenarios follow zap's grid (Disabled / WithoutFields / AccumulatedContext / AddingFields) with the W1 inputs of
// shared/bench/STANDARD.md. Each iteration logs 1,000 events; figures are per event (scalingFactor .kilo).
//
//   cd Benchmarks && swift package benchmark
//   swift package benchmark thresholds check     # fails when allocations per call grow (Thresholds/)
#if canImport(Glibc)
import Glibc
#endif
import Benchmark
import Foundation
import Keel
import Logging
import W1Workload

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput, .peakMemoryResident],
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 2000,
        // Thresholds are per iteration of 1,000 calls: 50 tolerates harness noise and still fails on one allocation per call.
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 50])]
    )
    let directory = FileManager.default.temporaryDirectory.path

    func run(_ name: String, _ logger: Logger, body: @escaping (Logger, Int) -> Void = W1.log) {
        Benchmark(name) { benchmark in
            var n = 0
            for _ in benchmark.scaledIterations {
                body(logger, n)
                n += 1
            }
        }
    }

    // AddingFields: W1, all ten fields per call.
    let toFile = try! W1.keelPipeline(path: directory + "/keel-bench-w1.log")
    run("W1-keel-buffered-file", W1.keelLogger(toFile))
    let toNull = try! W1.keelPipeline(path: "/dev/null")
    run("W1-keel-devnull", W1.keelLogger(toNull))
    let toNullNoRedaction = try! W1.keelPipeline(path: "/dev/null", redaction: nil)
    run("W1-keel-devnull-redaction-off", W1.keelLogger(toNullNoRedaction))
    run("W1-swiftlog-api-only-noop-handler", Logger(label: "w1") { _ in NoOpLogHandler() })

    // Disabled: a DEBUG call with ten fields on an INFO logger.
    run("Disabled-level-keel", W1.keelLogger(toNull)) { logger, n in
        logger.debug(W1.message, metadata: W1.metadata(requestID: W1.requestID(n)))
    }
    // WithoutFields.
    run("Message-only-keel", W1.keelLogger(toNull)) { logger, _ in logger.info(W1.message) }

    // AccumulatedContext: the request-scoped pattern. Ids are bound once per request in the task's LogContext and
    // one field on the logger; each call adds the per-event fields. A "request" here is one iteration: 1,000 lines.
    Benchmark("W1-context-bound-fields-keel") { benchmark in
        var logger = W1.keelLogger(toNull)
        logger[metadataKey: "route"] = "/v1/chat/completions"
        withLogContext(LogContext(requestID: W1.requestID(1), tenantID: "tenant_42", userID: "user_789")) {
            for _ in benchmark.scaledIterations {
                logger.info(
                    W1.message,
                    metadata: [
                        "status": .stringConvertible(200), "duration_ms": .stringConvertible(12.5),
                        "model": "gpt-4o-mini", "tokens_prompt": .stringConvertible(512),
                        "tokens_response": .stringConvertible(128), "retryable": .stringConvertible(false),
                    ])
            }
        }
    }

    // The comparison handlers, measured in the same run.
    Benchmark("W1-swiftlog-StreamLogHandler-file", configuration: .init(thresholds: [:])) { benchmark in
        let fd = open(directory + "/stream-bench-w1.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let saved = dup(2)
        dup2(fd, 2)
        defer {
            dup2(saved, 2)
            close(saved)
            close(fd)
        }
        let logger = Logger(label: "w1") { StreamLogHandler.standardError(label: $0) }
        var n = 0
        for _ in benchmark.scaledIterations {
            W1.log(logger, n)
            n += 1
        }
    }
    let foundationFile: FileHandle = {
        let path = directory + "/foundation-bench-w1.log"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return FileHandle(forWritingAtPath: path)!
    }()
    Benchmark("W1-Foundation-JSONSerialization-file", configuration: .init(maxIterations: 100, thresholds: [:])) { benchmark in
        let logger = Logger(label: "w1") { FoundationJSONLogHandler(label: $0, output: foundationFile) }
        var n = 0
        for _ in benchmark.scaledIterations {
            W1.log(logger, n)
            n += 1
        }
    }
}
