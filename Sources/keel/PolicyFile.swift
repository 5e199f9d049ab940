import ArgumentParser
import Keel

/// Reads `--policy FILE` for the commands that redact or check.
enum PolicyFile {
    /// The policy in `path`, or the defaults when no path is given.
    static func load(_ path: String?) throws -> RedactionPolicy {
        guard let path else { return RedactionPolicy() }
        let text: String
        do {
            text = try readTextFile(path)
        } catch {
            throw ValidationError("cannot read policy file \(path): \(error)")
        }
        do {
            return try RedactionPolicy.load(json: text, readFile: readFileBytes)
        } catch {
            throw ValidationError("policy file \(path): \(error)")
        }
    }
}
