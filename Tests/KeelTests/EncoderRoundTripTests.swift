import Foundation
@testable import Keel
import KeelTesting
import Logging
import Testing

struct EncoderRoundTripTests {
    /// A value of the right type for every caller-settable field, as metadata, and what it must read back as.
    static func sample(_ spec: FieldSpec) -> (Logger.MetadataValue, Any) {
        switch spec.id {
        case .event: return ("order.placed", "order.placed")
        case .storageClass: return ("cost", "cost")
        case .traceID: return ("4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736")
        case .spanID: return ("00f067aa0ba902b7", "00f067aa0ba902b7")
        case .parentSpanID: return ("00f067aa0ba902b8", "00f067aa0ba902b8")
        case .error:
            return (
                ["type": "Timeout", "message": "took too long", "stack": "frame 1\nframe 2"],
                ["type": "Timeout", "message": "took too long", "stack": "frame 1\nframe 2"]
            )
        default: break
        }
        switch spec.type {
        case .string: return (.string("v-\(spec.name)"), "v-\(spec.name)")
        case .integer: return (.stringConvertible(42), 42)
        case .number: return (.stringConvertible(12.5), 12.5)
        case .boolean: return (.stringConvertible(true), true)
        case .object, .array: Issue.record("no sample for \(spec.name)"); return ("", "")
        }
    }

    @Test func everyCallerFieldRoundTripsThroughTheEncoderAndAFoundationParser() throws {
        let logging = TestLogging { $0.sourceLocations = .always; $0.environment = "staging"; $0.version = "1.2.3" }
        var metadata: Logger.Metadata = ["extra": "kept in context"]
        var expected: [String: Any] = [:]
        for spec in FieldCatalogue.fields where spec.owner == .caller {
            let (value, readBack) = Self.sample(spec)
            metadata[spec.name] = value
            expected[spec.name] = readBack
        }
        logging.logger(label: "round-trip").notice("hello \"world\"", metadata: metadata)
        let line = try #require(logging.sink.lines.first)
        let event = try parseWithFoundation(line)
        for (name, value) in expected {
            let got = try #require(event[name], "\(name) missing")
            #expect(try sameJSON(got, value), "\(name): \(got) != \(value)")
        }
        // Pipeline fields.
        #expect(event["message"] as? String == "hello \"world\"")
        #expect(event["level"] as? String == "NOTICE")
        #expect(event["logger"] as? String == "round-trip")
        #expect(event["service"] as? String == "test-service")
        #expect(event["env"] as? String == "staging")
        #expect(event["version"] as? String == "1.2.3")
        #expect(event["host"] as? String == "test-host")
        #expect(event["pid"] as? Int == Int(ProcessInfo.processInfo.processIdentifier))
        #expect(event["schema_version"] as? Int == 1)
        let source = try #require(event["source"] as? [String: Any])
        #expect(source["file"] as? String == "KeelTests/EncoderRoundTripTests.swift")
        #expect(source["module"] as? String == "KeelTests")
        #expect((source["line"] as? Int ?? 0) > 0)
        #expect((event["context"] as? [String: Any])?["extra"] as? String == "kept in context")
        #expect(logging.diagnostics.reclassifiedFields == 0)

        // Key order is the catalogue's, and every field with a pattern matches it.
        let keys = try topLevelKeys(line)
        let order = keys.map { FieldCatalogue.field(named: $0)!.rawValue }
        #expect(order == order.sorted(), "keys out of catalogue order: \(keys)")
        for spec in FieldCatalogue.fields {
            guard let pattern = spec.pattern, let value = event[spec.name] as? String else { continue }
            #expect(try Regex(pattern).wholeMatch(in: value) != nil, "\(spec.name)=\(value) does not match \(pattern)")
        }
    }

    @Test func absentFieldsAreOmittedNeverNull() throws {
        let logging = TestLogging { $0.host = nil }
        logging.logger().info("plain")
        let line = try #require(logging.sink.lines.first)
        #expect(!line.contains("null"))
        let keys = try topLevelKeys(line)
        #expect(keys == [
            "timestamp", "level", "message", "event", "logger", "service", "pid", "schema_version", "event_id",
            "storage_class",
        ])
        let event = try parseWithFoundation(line)
        #expect(event["event"] as? String == "log")
        #expect(event["storage_class"] as? String == "ops")
    }

    @Test func metadataKeepsJSONTypesAndNestingUnderContext() throws {
        let logging = TestLogging()
        logging.logger().info(
            "typed",
            metadata: [
                "int": .stringConvertible(7), "negative": .stringConvertible(Int64.min),
                "big": .stringConvertible(UInt64.max), "double": .stringConvertible(0.1), "bool": .stringConvertible(false),
                "float": .stringConvertible(Float(1.5)), "text": "7", "nan": .stringConvertible(Double.nan),
                "inf": .stringConvertible(-Double.infinity),
                "nested": ["list": [.stringConvertible(1), "two", ["three": .stringConvertible(3.0)]]],
                "dotted.key": "as given", "described": .stringConvertible(URLish()),
            ])
        let line = try #require(logging.sink.lines.first)
        let context = try #require(try parseWithFoundation(line)["context"] as? [String: Any])
        #expect(line.contains(#""int":7"#))
        #expect(line.contains(#""negative":-9223372036854775808"#))
        #expect(line.contains(#""big":18446744073709551615"#))
        #expect(line.contains(#""double":0.1"#))
        #expect(line.contains(#""bool":false"#))
        #expect(line.contains(#""float":1.5"#))
        #expect(line.contains(#""text":"7""#))
        #expect(line.contains(#""nan":"NaN""#))
        #expect(line.contains(#""inf":"-Infinity""#))
        #expect(line.contains(#""nested":{"list":[1,"two",{"three":3}]}"#))
        #expect(context["dotted.key"] as? String == "as given")
        #expect(context["described"] as? String == "https://example.test/x")
    }

    @Test func anErrorBecomesTheErrorObjectWithItsClassification() throws {
        struct RateLimited: ClassifiedError, CustomStringConvertible {
            var errorCode: String { "rate_limited" }
            var isRetryable: Bool? { true }
            var description: String { "slow down" }
        }
        let logging = TestLogging()
        logging.logger().error("call failed", error: RateLimited())
        let event = try logging.onlyEvent()
        let error = try #require(event["error"] as? [String: Any])
        #expect(error["type"] as? String == "KeelTests.EncoderRoundTripTests.RateLimited")
        #expect(error["message"] as? String == "slow down")
        #expect(event["error_code"] as? String == "rate_limited")
        #expect(event["retryable"] as? Bool == true)

        // Explicit metadata wins over what the error says.
        logging.sink.removeAll()
        logging.logger().error("call failed", error: RateLimited(), metadata: ["retryable": "false", "error_code": "x"])
        let overridden = try logging.onlyEvent()
        #expect(overridden["retryable"] as? Bool == false)
        #expect(overridden["error_code"] as? String == "x")
    }

    @Test func eventIDsAreUniqueTimeOrderedUUIDv7() throws {
        let logging = TestLogging()
        let logger = logging.logger()
        for i in 0..<2000 { logger.info("n", metadata: ["i": "\(i)"]) }
        let ids = try logging.sink.lines.map { try parseWithFoundation($0)["event_id"] as! String }
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted(), "ids made one after another sort in order")
        let pattern = try Regex(FieldCatalogue.spec(.eventID).pattern!)
        #expect(ids.allSatisfy { (try? pattern.wholeMatch(in: $0)) != nil })
    }

    @Test func uuidsAreWrittenInTheirCanonicalText() {
        var out = OutputBuffer()
        defer { out.deallocate() }
        for (high, low, text) in [
            (UInt64(0x0123_4567_89AB_CDEF), UInt64(0xFEDC_BA98_7654_3210), "01234567-89ab-cdef-fedc-ba9876543210"),
            (0, 0, "00000000-0000-0000-0000-000000000000"),
            (.max, .max, "ffffffff-ffff-ffff-ffff-ffffffffffff"),
        ] {
            out.removeAll()
            out.appendUUID(high: high, low: low)
            #expect(String(decoding: out.bytes, as: UTF8.self) == text)
        }
    }

    @Test func timestampsAreRFC3339UTCWithMicroseconds() {
        var out = OutputBuffer()
        defer { out.deallocate() }
        for (micros, text) in [
            (Int64(0), "1970-01-01T00:00:00.000000Z"),
            (951_782_400_000_001, "2000-02-29T00:00:00.000001Z"),
            (1_795_384_461_123_456, "2026-11-22T21:54:21.123456Z"),
            (-1, "1969-12-31T23:59:59.999999Z"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
        ] {
            out.removeAll()
            out.appendRFC3339(Timestamp(microsecondsSinceEpoch: micros))
            #expect(String(decoding: out.bytes, as: UTF8.self) == text)
        }
    }
}

private struct URLish: CustomStringConvertible, Sendable {
    var description: String { "https://example.test/x" }
}
