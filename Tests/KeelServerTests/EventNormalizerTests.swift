import Keel
@testable import KeelServer
@testable import KeelWire
import KeelStore
import Testing

/// What the normaliser makes of a record, byte for byte: the line a reader gets back is this line.
struct EventNormalizerTests {
    let normalizer = EventNormalizer(redactor: Redactor(), limits: IngestLimits())
    /// 2026-11-23T12:00:00Z, the server's clock in these tests.
    let now: Int64 = 1_795_435_200_000_000

    func normalize(_ text: String, tenant: String = "acme") throws(IngestError) -> StoredEvent {
        let bytes = Array(text.utf8)
        return try normalizer.normalize(IncomingRecord(object: bytes[...], identity: bytes[...], place: .line(1)), tenant: tenant, now: now)
    }

    /// A policy with allow-listed paths makes the engine follow each value's path; when none of them is in the
    /// record, the event is the one the default policy makes.
    @Test func followingPathsThatAreNotThereChangesNothing() throws {
        var policy = RedactionPolicy()
        policy.allowedPaths = ["context.not_present"]
        let scanning = EventNormalizer(redactor: Redactor(policy: policy), limits: IngestLimits())
        for text in [
            #"{"ts":1795435199,"msg":"mail ann@example.com","request_id":"r\u00e9-1","password":"x","error":"boom","tags":["a",{"b":null}],"n":1.50}"#,
            #"{"timestamp":"2026-11-23T11:59:59Z","level":"ERROR","message":"caf\u00e9 \"quoted\"","event":"job.failed","user_id":"u-1","body":{"text":"private"}}"#,
        ] {
            let bytes = Array(text.utf8)
            let record = IncomingRecord(object: bytes[...], identity: bytes[...], place: .line(1))
            let fast = try normalizer.normalize(record, tenant: "acme", now: now)
            let scanned = try scanning.normalize(record, tenant: "acme", now: now)
            #expect(fast == scanned, "\(fast.line)\n\(scanned.line)")
        }
    }

    /// Each value is redacted where it lies in the record (or, for `context` and a flat `error`, where it was put
    /// together): allow-listed paths hold for fields and for `context` alike, `redacted` lists each type once in the
    /// order the line holds it, and the schema's field names are never redacted, even by a detector that matches one.
    @Test func valuesAreRedactedWhereTheyLieAndFieldNamesAreTheSchemas() throws {
        var policy = RedactionPolicy(allowedPaths: ["user_id", "context.support"])
        policy.customDetectors = [try CustomDetector(type: RedactionType("SVC"), pattern: "service")]
        let normalizer = EventNormalizer(redactor: Redactor(policy: policy), limits: IngestLimits())
        let text =
            #"{"timestamp":"2026-11-23T11:59:59Z","message":"from 10.0.0.1","service":"service-a","user_id":"ann@example.com","#
            + #""error.type":"E","error.message":"mail bob@example.com","support":"help@example.com","password":"p","#
            + #""service_note":"x"}"#
        let bytes = Array(text.utf8)
        let event = try normalizer.normalize(IncomingRecord(object: bytes[...], identity: bytes[...]), tenant: "acme", now: now)
        #expect(
            event.line
                == #"{"timestamp":"2026-11-23T11:59:59.000000Z","level":"INFO","message":"from [REDACTED:IPV4]","event":"log","#
                + #""service":"[REDACTED:SVC]-a","schema_version":1,"event_id":"\#(event.eventID)","tenant_id":"acme","#
                + #""user_id":"ann@example.com","error":{"type":"E","message":"mail [REDACTED:EMAIL]"},"#
                + #""context":{"support":"help@example.com","password":"[REDACTED:SECRET]","[REDACTED:SVC]_note":"x"},"#
                + #""redacted":["IPV4","SVC","EMAIL","SECRET"]}"#)
    }

    /// One workspace serves a whole request: what one record's names meant, and which fields it filled, must not
    /// leak into the next — records of the same names, of names in another order, of aliases where canonical names
    /// stood, of fewer or more names, each come out as they do alone.
    @Test func recordsOfChangingShapesComeOutAsTheyDoAlone() throws {
        let texts = [
            #"{"ts":1795435199,"msg":"first","lvl":"warn","request_id":"r-1","model":"m","status":200}"#,
            #"{"ts":1795435199,"msg":"second","lvl":"warn","request_id":"r-2","model":"m","status":200}"#,
            #"{"msg":"third","ts":1795435199,"lvl":"error","requestId":"r-3"}"#,
            #"{"timestamp":"2026-11-23T11:59:59Z","message":"fourth","level":"INFO","request_id":"r-4","model":"m","status":"x"}"#,
            #"{"timestamp":"2026-11-23T11:59:59Z","message":"fifth","level":"INFO","request_id":"r-5","model":"m","status":404,"error.type":"E","extra":1}"#,
            #"{"timestamp":"2026-11-23T11:59:59Z","message":"sixth"}"#,
            #"{"timestamp":"2026-11-23T11:59:59Z","message":"seventh","level":"INFO","request_id":"r-7","model":"m","status":200,"error.type":"E","extra":1}"#,
        ]
        let records = texts.enumerated().map { index, text in
            let bytes = Array(text.utf8)
            return IncomingRecord(object: bytes[...], identity: bytes[...], place: .line(index + 1))
        }
        let together = normalizer.normalize(records, tenant: "acme", now: now)
        #expect(together.refused.isEmpty)
        let alone = try records.map { record throws(IngestError) in try normalizer.normalize(record, tenant: "acme", now: now) }
        #expect(together.events.map(\.line) == alone.map(\.line))
        #expect(together.events.map(\.message) == ["first", "second", "third", "fourth", "fifth", "sixth", "seventh"])
        #expect(together.events[3].line.contains(#""context":{"status":"x"}"#))
        #expect(together.events[4].line.contains(#""error":{"type":"E"}"#) && !together.events[5].line.contains("error"))
    }

    /// For a store whose appends file lines only, ingest leaves each event's message, event name, error code and ids
    /// unread: asked for, they are read from the line and are what the normaliser makes, so the events are equal;
    /// setting one keeps the others as the line says.
    @Test func fieldsLeftUnreadAreReadFromTheLine() throws {
        let texts = [
            #"{"msg":"caf\u00e9 \"quoted\"","event":"job.failed","error_code":"E42","request_id":"r-1","trace_id":"t-1","run_id":"run-1","user_id":"u-1"}"#,
            #"{"message":"plain","request_id":""}"#,
            #"{"level":"ERROR"}"#,
        ]
        let records = texts.map { text in
            let bytes = Array(text.utf8)
            return IncomingRecord(object: bytes[...], identity: bytes[...])
        }
        let read = normalizer.normalize(records, tenant: "acme", now: now)
        let unread = normalizer.normalize(records, tenant: "acme", now: now, readingFields: false)
        #expect(read.events == unread.events)
        for (made, left) in zip(read.events, unread.events) {
            #expect(made.message == left.message && made.event == left.event && made.errorCode == left.errorCode)
            #expect(made.ids == left.ids && made.level == left.level)
        }
        #expect(unread.events[0].message == #"café "quoted""# && unread.events[0].ids[.runID] == "run-1")
        #expect(unread.events[1].ids.isEmpty && unread.events[2].message == "")
        var changed = unread.events[0]
        changed.message = "other"
        #expect(changed.message == "other" && changed.ids == read.events[0].ids && changed.errorCode == "E42")
        #expect(changed != read.events[0])
    }

    @Test func aCanonicalLineComesBackAsSentWithTheTokensTenant() throws {
        let line =
            #"{"timestamp":"2026-11-23T11:59:59.123456Z","level":"WARN","message":"request handled","event":"http.request","#
            + #""service":"api","schema_version":1,"event_id":"e-1","request_id":"req-1","tenant_id":"acme","user_id":"u-7","#
            + #""route":"/v1/x","status":503,"duration_ms":12.5,"error_code":"upstream_timeout","retryable":true}"#
        let event = try normalize(line)
        #expect(event.line == line)
        #expect(event.eventID == "e-1")
        #expect(event.timestamp == now - 876_544)
        #expect(event.level == StoredEvent.levelRank("WARN"))
        #expect(event.event == "http.request")
        #expect(event.errorCode == "upstream_timeout")
        #expect(event.ids == [.requestID: "req-1", .userID: "u-7"])
        #expect(event.message == "request handled")
    }

    /// (Of two levels, the one under the canonical name is the event's wherever it stands; the other is kept under
    /// `context`.)
    @Test func aliasesBecomeFieldsAndTheRestGoesUnderContextInOrder() throws {
        let event = try normalize(
            #"{"ts":1795435199,"lvl":"warning","msg":"caf\u00e9","correlation_id":"c-9","k\"q":[1, 2],"#
                + #""context":{"a":{"b":null}},"status":"200","seq":4,"tenant_id":"other","level":"ERROR","event":"Not A Name"}"#)
        #expect(
            event.line
                == #"{"timestamp":"2026-11-23T11:59:59.000000Z","level":"ERROR","message":"café","event":"log","schema_version":1,"#
                + #""event_id":"\#(event.eventID)","request_id":"c-9","tenant_id":"acme","context":{"k\"q":[1,2],"a":{"b":null},"#
                + #""status":"200","seq":4,"tenant_id":"other","lvl":"warning","event":"Not A Name"}}"#)
        #expect(event.message == "café")
        #expect(event.ids == [.requestID: "c-9"])
    }

    @Test func everythingButTheEnvelopeIsRedactedAndListed() throws {
        let event = try normalize(
            #"{"timestamp":"2026-11-23T11:00:00Z","message":"mail bob@example.com","error":"failed for alice@example.com","#
                + #""password":"hunter2","user_id":"u-1"}"#)
        #expect(event.message == "mail [REDACTED:EMAIL]")
        #expect(event.line.contains(#""error":{"message":"failed for [REDACTED:EMAIL]"}"#))
        #expect(!event.line.contains("hunter2"))
        #expect(event.line.hasSuffix(#","redacted":["EMAIL","SECRET"]}"#), "\(event.line)")
        #expect(event.line.contains(#""tenant_id":"acme""#))
    }

    @Test func aRecordWithoutAnIDGetsTheSameDerivedIDEveryTime() throws {
        let text = #"{"timestamp":"2026-11-23T11:00:00Z","message":"no id"}"#
        let first = try normalize(text)
        let again = try normalize(text)
        let other = try normalize(#"{"timestamp":"2026-11-23T11:00:00Z","message":"no id!"}"#)
        #expect(first.eventID == again.eventID)
        #expect(first.eventID != other.eventID)
        // A UUID whose first 48 bits are the event's millisecond.
        #expect(first.eventID.count == 36)
        #expect(first.eventID.hasPrefix("01a20810-0f80-8"))
    }

    @Test func anotherSchemaVersionIsKeptUnderContext() throws {
        let event = try normalize(#"{"timestamp":"2026-11-23T11:00:00Z","message":"m","schema_version":2}"#)
        #expect(event.line.contains(#""schema_version":1,"#))
        #expect(event.line.hasSuffix(#""context":{"schema_version":2}}"#))
    }

    @Test func refusalsNameTheReason() {
        func reason(_ text: String) -> String? {
            do {
                _ = try normalize(text)
                return nil
            } catch {
                return error.reason
            }
        }
        #expect(reason(#"{"timestamp":"yesterday"}"#) == "invalid_timestamp")
        #expect(reason(#"{"timestamp":"2030-01-01T00:00:00Z"}"#) == "future_timestamp")
        #expect(reason(#"{"message": oops}"#) == "invalid_json")
        #expect(reason(#"[1]"#) == "not_an_object")
        #expect(reason(#"{"context":{"a":"\ud800"}}"#) == "invalid_utf8")
        // A time under another name that is not a time is kept, not refused.
        #expect(reason(#"{"ts":"yesterday","message":"x"}"#) == nil)
    }
}
