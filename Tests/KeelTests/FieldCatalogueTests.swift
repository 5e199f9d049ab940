import Foundation
@testable import Keel
import Testing

struct FieldCatalogueTests {
    @Test func everyFieldOfTheDesignIsInTheCatalogueOnceInOutputOrder() {
        let names = FieldCatalogue.fields.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(FieldCatalogue.fields.map(\.id) == FieldID.allCases)
        let design = [
            "timestamp", "level", "message", "event", "logger", "component", "service", "env", "version", "host",
            "pid", "schema_version", "event_id", "storage_class", "request_id", "trace_id", "span_id",
            "parent_span_id", "tenant_id", "project_id", "app_id", "surface", "user_id", "session_id", "run_id",
            "flow_id", "step_id", "method", "route", "status", "duration_ms", "bytes_in", "bytes_out", "provider",
            "model", "tokens_prompt", "tokens_response", "cost_usd", "worker_id", "worker_state", "restart_count",
            "backoff_ms", "exit_code", "maintenance_mode", "error_code", "retryable", "error", "source", "context",
            "seq", "prev_hash", "hash",
        ]
        for name in design { #expect(names.contains(name), "\(name) missing from the catalogue") }
        // Output order follows the design's groups.
        let positions = design.compactMap { names.firstIndex(of: $0) }
        #expect(positions == positions.sorted())
    }

    @Test func fastLookupFindsEveryCanonicalNameAndNothingElse() {
        for spec in FieldCatalogue.fields {
            #expect(FieldLookup.field(named: spec.name) == spec.id)
            #expect(FieldCatalogue.field(named: spec.name) == spec.id)
        }
        for other in ["", "x", "request", "request_idx", "Request_ID", "requestid", "tenant", "status ", "hash2",
            "a_very_long_key_name_that_is_not_canonical", "é", "timestamp\u{0}"]
        {
            #expect(FieldLookup.field(named: other) == nil, "\(other) is not canonical")
        }
    }

    @Test func anIntegerFieldTakesWhatInt64ReadsAndNothingElse() {
        // The rule reads bytes; it must agree with `Int64(_:)` on every number a sender can write.
        let numbers = [
            "0", "-0", "7", "-7", "512", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
            "-9223372036854775809", "18446744073709551616", "99999999999999999999", "12.5", "1e3", "1E3", "-", "+",
            "", "+5", "0.0", "-1.5e-3", "00012",
        ]
        for number in numbers {
            #expect(FieldCatalogue.accepts(.status, kind: .number) { number } == (Int64(number) != nil), "\(number)")
            #expect(FieldCatalogue.accepts(.status, .number(number)) == (Int64(number) != nil), "\(number)")
        }
        #expect(!FieldCatalogue.accepts(.status, .string("200")))
        #expect(FieldCatalogue.accepts(.durationMS, .number("12.5")))
    }

    @Test func enumeratedAndEventNameFieldsTakeOnlyTheirValues() {
        #expect(FieldCatalogue.accepts(.storageClass, .string("audit")))
        #expect(!FieldCatalogue.accepts(.storageClass, .string("Audit")))
        #expect(!FieldCatalogue.accepts(.storageClass, .string("aud")))
        #expect(!FieldCatalogue.accepts(.storageClass, .string("")))
        for name in ["http.request", "usage.recorded", "log", "a_b.c9"] { #expect(FieldCatalogue.accepts(.event, .string(name)), "\(name)") }
        for name in ["", ".x", "x.", "a..b", "Http.request", "a b", "é"] { #expect(!FieldCatalogue.accepts(.event, .string(name)), "\(name)") }
        #expect(FieldCatalogue.accepts(.message, .string("anything at all")))
    }

    @Test func committedSchemaDocumentsMatchTheCatalogue() throws {
        let markdown = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/schema.md"), encoding: .utf8)
        let jsonSchema = try String(
            contentsOf: repositoryRoot.appendingPathComponent("schema/keel-event-v1.schema.json"), encoding: .utf8)
        #expect(markdown == SchemaDocument.markdown(), "run: swift run keel schema --markdown > docs/schema.md")
        #expect(
            jsonSchema == SchemaDocument.jsonSchema(),
            "run: swift run keel schema --json-schema > schema/keel-event-v1.schema.json")
    }

    @Test func jsonSchemaIsValidJSONAndListsEveryField() throws {
        let object = try JSONSerialization.jsonObject(with: Data(SchemaDocument.jsonSchema().utf8)) as? [String: Any]
        let properties = object?["properties"] as? [String: Any]
        #expect(properties?.count == FieldCatalogue.fields.count)
        let required = object?["required"] as? [String]
        #expect(required?.contains("event_id") == true)
        #expect(required?.contains("seq") == false, "seq is required for audit only")
    }
}
