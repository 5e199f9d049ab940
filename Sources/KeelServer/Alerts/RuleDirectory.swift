import KeelRules
import Foundation
import KeelBlockStore
import KeelStore

/// Rule namespaces on disk, one YAML file each in Loki's ruler format: `DIR/<tenant>/<namespace>.yaml` (the layout of
/// Loki's local rule storage), or `DIR/<tenant>.yaml` for a tenant's one namespace, named like the tenant. `--rules
/// DIR` is read this way at start; the rules API keeps what it is sent the same way under the data directory's
/// `rules/`, written whole to a new file and renamed over the old, so a crash leaves the old set or the new one.
enum RuleDirectory {
    /// Every namespace under `directory`, each read and checked, or why one is not (naming its file). A directory that
    /// does not exist holds none.
    static func read(_ directory: String) -> [(file: String, namespace: Result<RuleNamespace, RuleFile.Invalid>)] {
        let files = FileManager.default
        guard let entries = try? files.contentsOfDirectory(atPath: directory) else { return [] }
        var found: [(file: String, tenant: String, namespace: String)] = []
        for entry in entries.sorted() where !entry.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: directory + "/" + entry, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                for name in ((try? files.contentsOfDirectory(atPath: directory + "/" + entry)) ?? []).sorted() {
                    if let namespace = yamlName(name) { found.append((entry + "/" + name, entry, namespace)) }
                }
            } else if let tenant = yamlName(entry) {
                found.append((entry, tenant, tenant))
            }
        }
        return found.map { file, tenant, namespace in
            guard TenantName.isValid(tenant), RuleNamespace.isValidName(namespace) else {
                return (file, .failure(RuleFile.Invalid(
                    description: "\(file): a tenant is 1–64 of A–Z a–z 0–9 _ - and a namespace 1–128 of those and \".\"")))
            }
            guard let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8) else {
                return (file, .failure(RuleFile.Invalid(description: "\(file): cannot be read as UTF-8 text")))
            }
            do {
                return (file, .success(RuleNamespace(tenant: tenant, name: namespace, file: try RuleFile.parse(text))))
            } catch {
                return (file, .failure(RuleFile.Invalid(description: "\(file): \(error)")))
            }
        }
    }

    /// Every namespace under `directory` (`--rules`), or the first reason one does not read.
    static func load(_ directory: String) throws(RuleFile.Invalid) -> [RuleNamespace] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RuleFile.Invalid(description: "--rules \(directory): not a directory")
        }
        return try read(directory).map { entry throws(RuleFile.Invalid) in try entry.namespace.get() }
    }

    /// Writes `namespace` under `directory` (`<tenant>/<namespace>.yaml`), or removes its file when it has no groups.
    static func write(_ namespace: RuleNamespace, under directory: String) throws {
        let folder = directory + "/" + namespace.tenant
        let path = folder + "/" + namespace.name + ".yaml"
        guard !namespace.file.groups.isEmpty else {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            return
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try DurableFiles.write(Array(namespace.file.yaml().utf8), to: path)
    }

    private static func yamlName(_ file: String) -> String? {
        for suffix in [".yaml", ".yml"] where file.hasSuffix(suffix) && file.count > suffix.count {
            return String(file.dropLast(suffix.count))
        }
        return nil
    }
}
