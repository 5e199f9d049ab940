import ArgumentParser

@main
struct KeelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "Structured, redacted, correlated logs: read, check and serve them.",
        subcommands: [
            ServeCommand.self, TokenCommand.self, QueryCommand.self, ExportCommand.self, TimelineCommand.self, ForgetCommand.self, AlertsCommand.self, TailCommand.self, RedactCommand.self, LintCommand.self, SchemaCommand.self, PipeCommand.self, ShipCommand.self, VerifyCommand.self]
    )
}
