import ArgumentParser
import Keel

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the event schema as Markdown or as JSON Schema (generated from the field catalogue).",
        discussion: """
            The committed docs/schema.md and schema/keel-event-v1.schema.json are made with
              keel schema --markdown --output docs/schema.md
              keel schema --json-schema --output schema/keel-event-v1.schema.json
            and a test fails when they differ from what the catalogue generates.
            """
    )

    @Flag(name: .customLong("markdown"), help: "Markdown, as in docs/schema.md (the default).")
    var markdown = false

    @Flag(name: .customLong("json-schema"), help: "JSON Schema, as in schema/keel-event-v1.schema.json.")
    var jsonSchema = false

    @Option(name: .shortAndLong, help: "Write to this file instead of stdout.")
    var output: String?

    func validate() throws {
        if markdown && jsonSchema { throw ValidationError("choose one of --markdown and --json-schema") }
    }

    func run() throws {
        let text = jsonSchema ? SchemaDocument.jsonSchema() : SchemaDocument.markdown()
        guard let output else {
            print(text, terminator: "")
            return
        }
        do {
            try FileWriting.replaceContents(of: output, with: text)
        } catch {
            throw ValidationError("cannot write \(output): \(error)")
        }
    }
}
