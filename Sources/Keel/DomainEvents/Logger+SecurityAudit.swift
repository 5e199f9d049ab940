public import Logging

/// Security audit events, in storage class `audit`: never sampled or dropped, and chained and signed when an
/// ``AuditSink`` is configured. Tokens, passwords and secrets are never parameters here; a `reason` is a short
/// code (`bad_password`, `mfa_required`), redacted like any string. The sign-in method is `auth_method`: `method`
/// is the schema's HTTP method.
extension Logger {
    public func loginSucceeded(
        userID: String, method: String, metadata: Logger.Metadata = [:], file: String = #fileID,
        function: String = #function, line: UInt = #line
    ) {
        audit(EventCatalogue.loginSucceeded, "login succeeded", userID: userID, metadata, ["auth_method": method], file, function, line)
    }

    /// `userID` is whom the attempt claimed to be, when known.
    public func loginFailed(
        userID: String?, method: String, reason: String, metadata: Logger.Metadata = [:], file: String = #fileID,
        function: String = #function, line: UInt = #line
    ) {
        audit(
            EventCatalogue.loginFailed, "login failed", userID: userID, metadata, ["auth_method": method, "reason": reason],
            file, function, line)
    }

    public func oauthAuthorized(
        userID: String, provider: String, clientID: String, scopes: [String], metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        var fields = metadata
        fields["scopes"] = .array(scopes.map { .string($0) })
        audit(
            EventCatalogue.oauthAuthorized, "oauth authorized", userID: userID, fields,
            ["provider": provider, "client_id": clientID], file, function, line)
    }

    public func oauthTokenRefreshed(
        userID: String, provider: String, clientID: String, metadata: Logger.Metadata = [:], file: String = #fileID,
        function: String = #function, line: UInt = #line
    ) {
        audit(
            EventCatalogue.oauthTokenRefreshed, "oauth token refreshed", userID: userID, metadata,
            ["provider": provider, "client_id": clientID], file, function, line)
    }

    public func oauthScopeChanged(
        userID: String, provider: String, clientID: String, scopes: [String], previousScopes: [String],
        metadata: Logger.Metadata = [:], file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        var fields = metadata
        fields["scopes"] = .array(scopes.map { .string($0) })
        fields["previous_scopes"] = .array(previousScopes.map { .string($0) })
        audit(
            EventCatalogue.oauthScopeChanged, "oauth scope changed", userID: userID, fields,
            ["provider": provider, "client_id": clientID], file, function, line)
    }

    public func oauthRevoked(
        userID: String, provider: String, clientID: String, reason: String? = nil, metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        var strings = ["provider": provider, "client_id": clientID]
        if let reason { strings["reason"] = reason }
        audit(EventCatalogue.oauthRevoked, "oauth revoked", userID: userID, metadata, strings, file, function, line)
    }

    public func accessDenied(
        userID: String?, resource: String, action: String, reason: String? = nil, metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        var strings = ["resource": resource, "action": action]
        if let reason { strings["reason"] = reason }
        audit(EventCatalogue.accessDenied, "access denied", userID: userID, metadata, strings, file, function, line)
    }

    private func audit(
        _ kind: EventKind, _ message: Logger.Message, userID: String?, _ metadata: Logger.Metadata,
        _ strings: [String: String], _ file: String, _ function: String, _ line: UInt
    ) {
        var fields = metadata
        for (key, value) in strings { fields[key] = .string(value) }
        if let userID { fields["user_id"] = .string(userID) }
        log(kind, message, metadata: fields, file: file, function: function, line: line)
    }
}
