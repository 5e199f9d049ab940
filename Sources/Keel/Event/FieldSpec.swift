/// The JSON type a canonical field must have on the wire.
public enum JSONType: String, Sendable, CaseIterable {
    case string, integer, number, boolean, object, array
}

/// Which fields a group of the schema holds; used to lay out the generated documents.
public enum FieldGroup: String, Sendable, CaseIterable {
    case envelope, correlation, scope, run, http, usage = "model / usage", worker, outcome, source, free
    case audit = "audit only"
}

/// Who may set a field.
///
/// `pipeline` fields are written by Keel itself; a metadata key naming one is never allowed to overwrite it and goes
/// to `context` instead (and is counted). `caller` fields are promoted from metadata when the value fits the type.
public enum FieldOwner: String, Sendable {
    case pipeline, caller
}

/// A member of an object-typed canonical field (`error.type`, `source.line`, …).
public struct SubField: Sendable {
    public let name: String
    public let type: JSONType
    public let meaning: String
}

/// Everything the schema says about one canonical field.
public struct FieldSpec: Sendable {
    public let id: FieldID
    /// The JSON key, e.g. `request_id`.
    public let name: String
    public let type: JSONType
    public let group: FieldGroup
    public let owner: FieldOwner
    /// One sentence a reader of a log line needs.
    public let meaning: String
    /// The storage classes whose every event must carry this field.
    public let requiredFor: [StorageClass]
    /// Allowed values, for enumerated string fields.
    public let allowedValues: [String]
    /// For `object` fields: the members, in output order.
    public let members: [SubField]
    /// A JSON Schema `format` (e.g. `date-time`) or `pattern` constraint.
    public let format: String?
    public let pattern: String?
}
