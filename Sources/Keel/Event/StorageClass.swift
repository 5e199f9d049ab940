/// How an event is kept and delivered.
///
/// - `ops`: operational logs; may be sampled and, under overload, dropped (and counted).
/// - `audit`: security and compliance records; never sampled or dropped.
/// - `cost`: usage and billing records; never sampled or dropped.
///
/// A struct around a private enum, so that adding a class later is not a breaking change.
public struct StorageClass: Hashable, Sendable, CustomStringConvertible {
    private enum Code: UInt8 { case ops, audit, cost }
    private let storage: Code

    public static let ops = StorageClass(code: .ops)
    public static let audit = StorageClass(code: .audit)
    public static let cost = StorageClass(code: .cost)

    public static let all: [StorageClass] = [.ops, .audit, .cost]

    /// The wire name: `ops`, `audit` or `cost`.
    public var name: String {
        switch storage {
        case .ops: "ops"
        case .audit: "audit"
        case .cost: "cost"
        }
    }

    /// Whether events of this class may be sampled or dropped under overload.
    public var isDroppable: Bool { storage == .ops }

    public var description: String { name }

    /// Parses a wire name; `nil` for anything else.
    public init?(name: String) {
        switch name {
        case "ops": self = .ops
        case "audit": self = .audit
        case "cost": self = .cost
        default: return nil
        }
    }

    private init(code: Code) { self.storage = code }

    /// One byte, for queue and spool records.
    package var code: UInt8 { storage.rawValue }
    package init(code: UInt8) { self.storage = Code(rawValue: code) ?? .ops }
}
