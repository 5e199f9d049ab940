// swift-tools-version:6.2
// Keel's benchmarks, kept out of the main manifest so users never build benchmark dependencies.
// Run from this directory:  swift package benchmark          (ordo-one/benchmark: per-call time, allocations)
//                           ../scripts/bench-w1.sh              (whole-process W1, as in shared/bench/STANDARD.md)
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder: the checkout's folder, whatever a clone called it.
let keel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "KeelBenchmarks",
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The W1 workload of shared/bench/STANDARD.md and the handlers Keel is compared with.
        .target(
            name: "W1Workload",
            dependencies: [
                .product(name: "Keel", package: keel),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Whole-process W1 runs: 1,000,000 events through one handler, timed from outside.
        .executableTarget(
            name: "w1-runner",
            dependencies: ["W1Workload", .product(name: "Keel", package: keel), .product(name: "Logging", package: "swift-log")]
        ),
        // Redaction engine throughput on the labelled corpus and on W1 events.
        .executableTarget(
            name: "redaction-throughput",
            dependencies: [.product(name: "Keel", package: keel)]
        ),
        // W4: a Hummingbird service with one `GET /hello` route, with Keel's middleware and access log to a rotating
        // file, or with no logging; loaded by scripts/bench-w4.sh with wrk.
        .executableTarget(
            name: "w4-server",
            dependencies: [
                .product(name: "Keel", package: keel),
                .product(name: "KeelHummingbird", package: keel),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Shipping (issue 20): W1-async's caller cost with a ShippingSink beside the file, and delivery latency.
        .executableTarget(
            name: "ship-load",
            dependencies: [
                "W1Workload", .product(name: "Keel", package: keel), .product(name: "KeelShipping", package: keel),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The embedded store at 10,000,000 events: ingest rate as the store grows, then id lookups and text search.
        .executableTarget(
            name: "store-load",
            dependencies: ["W1Workload", .product(name: "Keel", package: keel), .product(name: "KeelStore", package: keel), .product(name: "KeelSQLiteStore", package: keel)]
        ),
        // Disk per event and append time of store v2's blocks against the SQLite store, on the same W1 events.
        .executableTarget(
            name: "store-size",
            dependencies: [
                "W1Workload", .product(name: "Keel", package: keel), .product(name: "KeelStore", package: keel),
                .product(name: "KeelSQLiteStore", package: keel), .product(name: "KeelBlockStore", package: keel),
            ]
        ),
        // One store measured as the store issue's table measures it: append rate, CPU, RSS, disk, lookups, searches.
        .executableTarget(
            name: "store-compare",
            dependencies: [
                "W1Workload", .product(name: "Keel", package: keel), .product(name: "KeelStore", package: keel),
                .product(name: "KeelSQLiteStore", package: keel), .product(name: "KeelBlockStore", package: keel),
                .product(name: "KeelQuery", package: keel),
            ]
        ),
        // LogQL on one tenant's day of W1 events: the metric and log queries against the store's own query.
        .executableTarget(
            name: "query-load",
            dependencies: ["W1Workload", .product(name: "Keel", package: keel), .product(name: "KeelStore", package: keel), .product(name: "KeelSQLiteStore", package: keel), .product(name: "KeelQuery", package: keel)]
        ),
        // W2 and W3 against a running `keel serve` (scripts/bench-server.sh): ingest load from concurrent clients,
        // request_id lookups and text searches, and the time from an acknowledgement to the event on a live tail.
        .executableTarget(
            name: "server-load",
            dependencies: [
                "W1Workload", .product(name: "Keel", package: keel),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "KeelHandlerBenchmarks",
            dependencies: [
                "W1Workload",
                .product(name: "Keel", package: keel),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/KeelHandlerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

