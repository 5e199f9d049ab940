import ArgumentParser
import Keel

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the event schema as Markdown or as JSON Schema (generated from the field catalogue)."
    )

    @Flag(name: .customLong("markdown"), help: "Markdown, as in docs/schema.md (the default).")
    var markdown = false

    @Flag(name: .customLong("json-schema"), help: "JSON Schema, as in schema/keel-event-v1.schema.json.")
    var jsonSchema = false

    func validate() throws {
        if markdown && jsonSchema { throw ValidationError("choose one of --markdown and --json-schema") }
    }

    func run() throws {
        print(jsonSchema ? SchemaDocument.jsonSchema() : SchemaDocument.markdown(), terminator: "")
    }
}
