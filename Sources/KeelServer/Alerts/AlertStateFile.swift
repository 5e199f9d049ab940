import KeelRules
import Foundation
import KeelBlockStore
import Logging

/// What the ruler keeps across a restart, in the data directory: the rules sent to the rules API (`rules/`, by
/// ``RuleDirectory``) and every rule's alerts (`alerts/state.json`), so that an alert firing before a restart is still
/// firing after it — not fired (and notified) again — and one that stopped while the server was down resolves.
extension KeelServer {
    /// The ruler of `configuration`: `--rules` and the rules API's namespaces, with the alerts they had.
    static func openRuler(_ configuration: ServerConfiguration, logger: Logger) -> Ruler {
        var kept: [RuleNamespace] = []
        for (file, namespace) in RuleDirectory.read(rulesDirectory(configuration)) {
            switch namespace {
            case .success(let namespace) where configuration.ruleFiles.contains { $0.tenant == namespace.tenant && $0.name == namespace.name }:
                logger.warning("a namespace of the rules API is also in --rules: the file wins", metadata: ["file": "\(file)"])
            case .success(let namespace):
                kept.append(namespace)
            case .failure(let reason):
                // Checked when it was sent: only a newer Keel refusing an old query gets here. It is kept on disk.
                logger.error("rules kept by the rules API no longer read; they are not evaluated", metadata: ["reason": "\(reason)"])
            }
        }
        let ruler = Ruler(kept, fixed: configuration.ruleFiles)
        let path = alertStatePath(configuration)
        if let bytes = try? DurableFiles.read(path, missingIsEmpty: true), !bytes.isEmpty {
            do {
                ruler.restore(try JSONDecoder().decode([Ruler.SavedRule].self, from: Data(bytes)))
            } catch {
                logger.error("the alerts' states could not be read; alerts start afresh", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        return ruler
    }

    /// Writes every rule's alerts down.
    func saveAlertStates() {
        let path = Self.alertStatePath(configuration)
        do {
            let encoded = try JSONEncoder().encode(ruler.saved())
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try DurableFiles.write(Array(encoded), to: path)
        } catch {
            logger.error("the alerts' states could not be written", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    static func rulesDirectory(_ configuration: ServerConfiguration) -> String { configuration.dataDirectory + "/rules" }

    private static func alertStatePath(_ configuration: ServerConfiguration) -> String {
        configuration.dataDirectory + "/alerts/state.json"
    }
}
