package import Keel

/// Checks one parsed line against schema v1 (``FieldCatalogue``): required fields per storage class, JSON types,
/// enumerated values, patterns, unknown top-level fields and key order.
package struct SchemaChecker: @unchecked Sendable {
    // Regexes are immutable after construction; matching does not mutate them.
    private let patterns: [FieldID: Regex<AnyRegexOutput>]

    package init() {
        var patterns: [FieldID: Regex<AnyRegexOutput>] = [:]
        for spec in FieldCatalogue.fields {
            if let pattern = spec.pattern, let regex = try? Regex(pattern) { patterns[spec.id] = regex }
        }
        self.patterns = patterns
    }

    /// The problems of one event, in the order found. Empty when it is valid schema v1.
    package func problems(in event: JSONValue) -> [String] {
        guard case .object(let members) = event else { return ["not a JSON object"] }
        var problems: [String] = []
        var seen: [FieldID: JSONValue] = [:]
        var lastOrder = -1
        var outOfOrder = false
        for (key, value) in members {
            guard let field = FieldCatalogue.field(named: key) else {
                problems.append("unknown field \"\(key)\" (free-form metadata belongs under context)")
                continue
            }
            if seen[field] != nil { problems.append("field \"\(key)\" appears twice") }
            seen[field] = value
            if Int(field.rawValue) < lastOrder { outOfOrder = true }
            lastOrder = Int(field.rawValue)
            problems += check(field, value)
        }
        if outOfOrder { problems.append("fields are not in schema order") }
        let storageClass = seen[.storageClass]?.stringValue.flatMap(StorageClass.init(name:)) ?? .ops
        for spec in FieldCatalogue.fields where spec.requiredFor.contains(storageClass) && seen[spec.id] == nil {
            problems.append("missing field \"\(spec.name)\" (required for \(storageClass.name) events)")
        }
        return problems
    }

    private func check(_ field: FieldID, _ value: JSONValue) -> [String] {
        let spec = FieldCatalogue.spec(field)
        let name = spec.name
        if case .null = value { return ["field \"\(name)\" is null (absent fields are omitted)"] }
        guard Self.has(value, type: spec.type) else {
            return ["field \"\(name)\" must be \(spec.type.rawValue), found \(Self.kind(of: value))"]
        }
        var problems: [String] = []
        if !spec.allowedValues.isEmpty, let s = value.stringValue, !spec.allowedValues.contains(s) {
            problems.append("field \"\(name)\" has \(s.debugDescription); allowed: \(spec.allowedValues.joined(separator: ", "))")
        }
        if let regex = patterns[field], let s = value.stringValue, (try? regex.wholeMatch(in: s)) == nil {
            problems.append("field \"\(name)\" does not match \(spec.pattern ?? "")")
        }
        if field == .schemaVersion, value.doubleValue != Double(FieldCatalogue.schemaVersion) {
            problems.append("schema_version must be \(FieldCatalogue.schemaVersion)")
        }
        if !spec.members.isEmpty, case .object(let inner) = value {
            for (key, member) in inner {
                guard let sub = spec.members.first(where: { $0.name == key }) else {
                    problems.append("field \"\(name).\(key)\" is not part of \(name)")
                    continue
                }
                if !Self.has(member, type: sub.type) {
                    problems.append("field \"\(name).\(key)\" must be \(sub.type.rawValue), found \(Self.kind(of: member))")
                }
            }
        }
        return problems
    }

    static func has(_ value: JSONValue, type: JSONType) -> Bool {
        switch (type, value) {
        case (.string, .string), (.boolean, .bool), (.object, .object), (.array, .array), (.number, .number): true
        case (.integer, .number(let n)): !n.contains(".") && !n.contains("e") && !n.contains("E")
        default: false
        }
    }

    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
