import Foundation
@testable import Keel
import Logging
import Testing

struct ConfigurationTests {
    @Test func readsEveryVariable() throws {
        let config = try KeelConfiguration.fromEnvironment([
            "LOG_LEVEL": "Warn", "LOG_FORMAT": "text", "LOG_FILE": "/tmp/x.log", "LOG_SAMPLE_RATE": "0.25",
            "KEEL_SERVICE": "billing", "KEEL_ENV": "production", "KEEL_VERSION": "2.0.1", "KEEL_CONSOLE": "stderr",
        ])
        #expect(config.level == .warning)
        #expect(config.format == .text)
        #expect(config.file == "/tmp/x.log")
        #expect(config.sampleRate == 0.25)
        #expect(config.service == "billing")
        #expect(config.environment == "production")
        #expect(config.version == "2.0.1")
        #expect(config.console == .stderrOnly)
    }

    @Test func readsRotation() throws {
        let config = try KeelConfiguration.fromEnvironment([
            "LOG_FILE": "/tmp/x.log", "LOG_ROTATE_SIZE": "50MB", "LOG_ROTATE_DAILY": "true", "LOG_KEEP_FILES": "10",
            "LOG_KEEP_DAYS": "7", "LOG_GZIP": "TRUE",
        ])
        #expect(config.fileRotation == FileRotation(maxBytes: 50 << 20, daily: true, keepFiles: 10, keepDays: 7, compress: true))
        #expect(try KeelConfiguration.fromEnvironment(["LOG_FILE": "/tmp/x.log"]).fileRotation == nil)
        #expect(ByteSize.parse("1048576") == 1 << 20)
        #expect(ByteSize.parse("512kb") == 512 << 10)
        #expect(ByteSize.parse("1 GiB") == 1 << 30)
        #expect(ByteSize.parse("5M") == 5 << 20)
        #expect(ByteSize.parse("five") == nil)
    }

    @Test func readsTheQueueSize() throws {
        #expect(try KeelConfiguration.fromEnvironment(["LOG_QUEUE_EVENTS": "20000"]).delivery == .background(queueEvents: 20000))
        #expect(try KeelConfiguration.fromEnvironment(["LOG_QUEUE_EVENTS": "sync"]).delivery == .synchronous)
        #expect(try KeelConfiguration.fromEnvironment([:]).delivery == .background)
    }

    @Test func defaultsWithNothingSet() throws {
        let config = try KeelConfiguration.fromEnvironment([:])
        #expect(config.level == .info)
        #expect(config.format == .json)
        #expect(config.file == nil)
        #expect(config.sampleRate == 1)
        #expect(config.console == .split)
        #expect(!config.service.isEmpty)
    }

    @Test(arguments: [
        ("LOG_LEVEL", "loud"), ("LOG_FORMAT", "xml"), ("LOG_SAMPLE_RATE", "1.5"), ("LOG_SAMPLE_RATE", "-0.1"),
        ("LOG_SAMPLE_RATE", "half"), ("KEEL_CONSOLE", "printer"), ("LOG_ROTATE_SIZE", "big"), ("LOG_ROTATE_SIZE", "0"),
        ("LOG_ROTATE_SIZE", "-5MB"), ("LOG_ROTATE_DAILY", "yes please"), ("LOG_KEEP_FILES", "0"), ("LOG_KEEP_DAYS", "a week"),
        ("LOG_GZIP", "maybe"), ("LOG_QUEUE_EVENTS", "8"), ("LOG_QUEUE_EVENTS", "lots"),
    ])
    func anInvalidValueNamesTheVariableTheValueAndWhatIsAccepted(_ variable: String, _ value: String) {
        #expect {
            _ = try KeelConfiguration.fromEnvironment([variable: value])
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            let message = error.description
            return error.variable == variable && message.contains(variable) && message.contains(value)
                && message.contains("accepted") && !error.accepted.isEmpty
        }
    }

    @Test func anUnopenableLogFileFailsPipelineCreationWithThePath() {
        var config = KeelConfiguration()
        config.console = nil
        config.file = "/nonexistent-dir/keel/app.log"
        #expect {
            _ = try Keel.makePipeline(config)
        } throws: { error in
            (error as? SinkError)?.description.contains("/nonexistent-dir/keel/app.log") == true
        }
    }

    @Test func productionRefusesAuditAndCostThatWouldReachOnlyTheConsole() throws {
        var config = try KeelConfiguration.fromEnvironment(["KEEL_ENV": "production"])
        #expect {
            _ = try Keel.makePipeline(config)
        } throws: { error in
            let message = (error as? ProductionCheckError)?.description ?? ""
            return message.contains("audit") && message.contains("LOG_FILE")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-prod-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        config.file = path
        try Keel.makePipeline(config).close()
        config.file = nil
        config.productionChecks = false
        try Keel.makePipeline(config).close()
        // Not production: nothing is checked.
        try Keel.makePipeline(KeelConfiguration()).close()
    }

    @Test func levelsHaveCanonicalNamesAndParseBack() {
        #expect(Logger.Level.allCases.map(\.canonicalName) == ["TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "CRITICAL"])
        for level in Logger.Level.allCases {
            #expect(Logger.Level(canonicalName: level.canonicalName) == level)
            #expect(Logger.Level(canonicalName: level.rawValue) == level)
        }
        #expect(Logger.Level(canonicalName: "loud") == nil)
    }

    @Test func aLevelsWireNameIsReadFromBytesAndNoOtherSpellingIs() {
        func wire(_ text: String) -> Logger.Level? {
            var text = text
            return text.withUTF8 { Logger.Level(wireName: $0) }
        }
        for level in Logger.Level.allCases { #expect(wire(level.canonicalName) == level) }
        // Other spellings are `init(canonicalName:)`'s to read: the normaliser falls back to it.
        for other in ["info", "Info", "WARNING", "warn", "ERR", "", "INFOO", "INF", "CRITICAL "] {
            #expect(wire(other) == nil, "\(other)")
        }
    }
}
