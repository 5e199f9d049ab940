// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "Keel",
    products: [
        .library(name: "Keel", targets: ["Keel"]),
        .library(name: "KeelTesting", targets: ["KeelTesting"]),
        .library(name: "KeelLifecycle", targets: ["KeelLifecycle"]),
        .executable(name: "keel", targets: ["keel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
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
        // Test helpers shipped as a product: an in-memory sink and helpers to read what Keel wrote.
        .target(
            name: "KeelTesting",
            dependencies: ["Keel", .product(name: "Logging", package: "swift-log")]
        ),
        // Library code behind the command line (tail, schema, …), testable without a process.
        .target(
            name: "KeelTools",
            dependencies: ["Keel"]
        ),
        .executableTarget(
            name: "keel",
            dependencies: [
                "Keel", "KeelTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "hello-keel",
            dependencies: ["Keel", .product(name: "Logging", package: "swift-log")],
            path: "Examples/HelloKeel"
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
