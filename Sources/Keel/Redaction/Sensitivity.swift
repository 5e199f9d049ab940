public import Logging

/// Marks a metadata value as sensitive (swift-log 1.16 metadata value attributes, proposal SLG-0004): Keel always
/// redacts it, whatever its key, as `[REDACTED:SENSITIVE]`.
///
/// ```swift
/// logger.info("profile updated", metadata: ["display_name": "\(name, attributes: { $0[Sensitivity.self] = .sensitive })"])
/// logger.info("profile updated", metadata: ["display_name": .attributed(name, attributes: [Sensitivity.sensitive])])
/// ```
///
/// `.public` documents a value as safe; detectors still run on it.
public enum Sensitivity: Int64, Sendable, Logger.MetadataValueAttributes.Attribute {
    case sensitive = 1
    case `public` = 2
}

extension Logger.MetadataValue {
    /// Whether the application marked this value ``Sensitivity/sensitive``.
    ///
    /// Only attributed values carry attributes; reading them is a type check, so callers test plain scalars first.
    @inline(__always)
    var isMarkedSensitive: Bool {
        guard case .stringConvertible = self else { return false }
        return attributes[Sensitivity.self] == .sensitive
    }
}
