// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "Keel",
    products: [
        .library(name: "Keel", targets: ["Keel"]),
        .library(name: "KeelTesting", targets: ["KeelTesting"]),
        .library(name: "KeelLifecycle", targets: ["KeelLifecycle"]),
        .library(name: "KeelHummingbird", targets: ["KeelHummingbird"]),
        .library(name: "KeelSupervisor", targets: ["KeelSupervisor"]),
        .library(name: "KeelStore", targets: ["KeelStore"]),
        .library(name: "KeelSQLiteStore", targets: ["KeelSQLiteStore"]),
        .library(name: "KeelBlockStore", targets: ["KeelBlockStore"]),
        .library(name: "KeelQuery", targets: ["KeelQuery"]),
        .library(name: "KeelServer", targets: ["KeelServer"]),
        .library(name: "KeelShipping", targets: ["KeelShipping"]),
        .executable(name: "keel", targets: ["keel"]),
        .executable(name: "keel-example", targets: ["keel-example"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // The HTTP edge (KeelHummingbird, the example service); swift-configuration support is not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // Loki's live tail (`/loki/api/v1/tail`) is a WebSocket: what Grafana's live mode and `logcli --tail` open.
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        // Named by KeelHummingbird's sources (header names, body buffers); both come with Hummingbird anyway.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // The embedded store of `keel serve` (SQLite, WAL, one writer and concurrent readers).
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // `keel serve`'s alerting rules: Prometheus/Loki rule files are YAML.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // The example service's streamed body (`.async` over an array).
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        // Worker child processes (KeelSupervisor); swift-system for the executable's path.
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2", traits: []),
        // `keel serve`: Loki and OTLP protobuf bodies (generated code is committed: scripts/generate-protos.sh),
        // Prometheus metrics; and the command line's HTTP client (`keel query`, `keel tail --server`, `keel export`).
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Tests only: the query engine is checked against a brute-force evaluator on generated queries.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // The system zlib, for gzip-compressing rotated files (small, and on every Linux machine).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The core: swift-log, swift-crypto (HMAC pseudonyms, body hashes), swift-metrics' API (self metrics) and
        // zlib only, so that linking Keel stays cheap.
        .target(
            name: "Keel",
            dependencies: [
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Graceful shutdown with swift-service-lifecycle, in its own target so the core does not pull it in.
        .target(
            name: "KeelLifecycle",
            dependencies: ["Keel", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        // Hummingbird 2 middleware: request ids, W3C trace context, one `http.request` event per request.
        .target(
            name: "KeelHummingbird",
            dependencies: [
                "Keel", .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Supervises worker child processes: restarts with backoff, crash-loop stop, maintenance, captured output.
        .target(
            name: "KeelSupervisor",
            dependencies: [
                "Keel", .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What `keel serve` stores events in: the `LogStore` protocol, `StoredEvent` and queries. No engine here, so
        // the formats, the fuzz targets and the conformance suite (KeelTesting) need no SQLite.
        .target(
            name: "KeelStore",
            dependencies: ["Keel", .product(name: "Logging", package: "swift-log")]
        ),
        // The embedded store: day partitions in SQLite, with per-chunk Bloom filters over the id fields. SQL stays
        // inside this target, behind `LogStore`.
        .target(
            name: "KeelSQLiteStore",
            dependencies: ["Keel", "KeelStore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The system zstd, for the block store's compressed columns.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // The system ISA-L, for the block store's CRC-32 checksums.
        .systemLibrary(name: "CIsal", path: "Sources/CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        // Store v2 (issue 17): compressed blocks of events and a head (`keel serve --store blocks`).
        .target(
            name: "KeelBlockStore",
            dependencies: ["Keel", "KeelStore", "CIsal", "CZstd"]
        ),
        // The system snappy, for Loki's push bodies (read by `keel serve`, written by the Loki shipping sink).
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        // What clients send `keel serve`, read from bytes: the ingest formats (NDJSON, Loki push, OTLP/HTTP),
        // decompression, the normaliser that makes records canonical, and query parameters. No NIO and no
        // Hummingbird, so the fuzz targets build it alone.
        .target(
            name: "KeelWire",
            dependencies: [
                "Keel", "KeelStore", "CZlib", "CSnappy",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // LogQL: the query language of `keel serve` (Loki's, the subset teams write), parsed and evaluated over any
        // `LogStore`. Pure Swift on the core and the store's protocol, so the parser's fuzz target builds it alone.
        .target(
            name: "KeelQuery",
            dependencies: ["Keel", "KeelStore"]
        ),
        // Alerting and recording rules in Loki's ruler format (YAML), read and checked: a target of its own so that
        // the rule files' fuzz target builds without the server.
        .target(
            name: "KeelRules",
            dependencies: ["KeelQuery", .product(name: "Yams", package: "Yams")]
        ),
        // `keel serve`: ingest, queries, timelines, the live tail, tokens and tenants, retention, export and erasure,
        // over Hummingbird 2 and a `LogStore`.
        .target(
            name: "KeelServer",
            dependencies: [
                "Keel", "KeelStore", "KeelSQLiteStore", "KeelBlockStore", "KeelWire", "KeelQuery", "KeelRules", "KeelHummingbird",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Yams", package: "Yams"),
                // Alert notifications to Alertmanagers and webhooks.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // The web UI, compiled into the binary: `keel serve` needs no file beside it.
            resources: [
                .embedInCode("UI/Assets/index.html"), .embedInCode("UI/Assets/app.js"), .embedInCode("UI/Assets/app.css"),
            ]
        ),
        // Shipping from the library to where logs live: network sinks over a disk spool, on async-http-client (the
        // core stays light); zlib for gzip'd bodies, ISA-L for the spool records' CRC-32.
        .target(
            name: "KeelShipping",
            dependencies: [
                "Keel", "KeelWire", "CZlib", "CIsal",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The example service (a library, so that tests drive it over HTTP) and its command.
        .target(
            name: "ExampleService",
            dependencies: [
                "Keel", "KeelHummingbird", "KeelSupervisor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            path: "Examples/ExampleService/Service"
        ),
        .executableTarget(
            name: "keel-example",
            dependencies: [
                "ExampleService", "Keel", "KeelSupervisor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Examples/ExampleService/Main"
        ),
        // Test helpers shipped as a product: an in-memory sink, helpers to read what Keel wrote, and the conformance
        // suites every sink and every store must pass.
        .target(
            name: "KeelTesting",
            dependencies: ["Keel", "KeelStore", .product(name: "Logging", package: "swift-log")]
        ),
        // Library code behind the command line (tail, schema, …), testable without a process.
        .target(
            name: "KeelTools",
            dependencies: ["Keel"]
        ),
        // The system jemalloc, the `keel` command's allocator (the libraries leave the choice to the application).
        .systemLibrary(name: "CJemalloc", path: "Sources/CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),
        .executableTarget(
            name: "keel",
            dependencies: [
                "Keel", "KeelTools", "KeelServer", "KeelStore", "KeelSQLiteStore", "KeelWire", "KeelQuery", "KeelShipping", "CJemalloc",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "hello-keel",
            dependencies: ["Keel", .product(name: "Logging", package: "swift-log")],
            path: "Examples/HelloKeel"
        ),
        // The shipping soak's logging process (Tests/Soak/ship_soak.py): a service shipping through faults.
        .executableTarget(
            name: "keel-soak-logger",
            dependencies: ["Keel", "KeelShipping", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Soak/Logger"
        ),
        // The fuzz targets of every parser that reads client bytes (Tests/Fuzz/README.md). A plain build replays
        // files through them (`keel-fuzz TARGET FILE…`); scripts/fuzz builds them for libFuzzer.
        .executableTarget(
            name: "keel-fuzz",
            dependencies: ["Keel", "KeelWire", "KeelStore", "KeelQuery", "KeelBlockStore", "KeelRules"],
            path: "Tests/Fuzz/Targets"
        ),
        .testTarget(
            name: "KeelTests",
            dependencies: [
                "Keel", "KeelTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "KeelTestingTests",
            dependencies: ["KeelTesting", "Keel", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "KeelLifecycleTests",
            dependencies: [
                "KeelLifecycle", "Keel", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "KeelHummingbirdTests",
            dependencies: [
                "KeelHummingbird", "ExampleService", "Keel", "KeelTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "KeelQueryTests",
            dependencies: [
                "KeelQuery", "KeelStore", "KeelSQLiteStore", "KeelBlockStore", "KeelTesting", "Keel",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "KeelShippingTests",
            dependencies: [
                "KeelShipping", "KeelWire", "Keel", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "KeelBlockStoreTests",
            dependencies: ["KeelBlockStore", "KeelStore", "KeelTesting", "Keel"]
        ),
        .testTarget(
            name: "KeelSQLiteStoreTests",
            dependencies: ["KeelSQLiteStore", "KeelStore", "KeelTesting", "Keel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "KeelServerTests",
            dependencies: [
                "KeelServer", "KeelStore", "KeelSQLiteStore", "KeelWire", "KeelTools", "KeelShipping", "KeelRules", "Keel", "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "KeelSupervisorTests",
            dependencies: [
                "KeelSupervisor", "Keel", "KeelTesting",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The Swift examples of README.md and docs/ (scripts/doc-examples copies them here), built with a package
        // name of their own so that only the public API is visible: a broken or internal example fails the build.
        .testTarget(
            name: "DocExampleTests",
            dependencies: [
                "Keel", "KeelHummingbird", "KeelSupervisor", "KeelShipping",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            packageAccess: false
        ),
        .testTarget(
            name: "KeelToolsTests",
            dependencies: ["KeelTools", "Keel", "KeelTesting"]
        ),
    ]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
