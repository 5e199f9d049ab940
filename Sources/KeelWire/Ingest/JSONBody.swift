package import Keel

/// Parsing JSON from a request: invalid UTF-8, invalid JSON and too deep nesting are refused with a 400 that says
/// where.
package enum JSONBody {
    package static func parse(_ bytes: [UInt8], limits: IngestLimits, what: String) throws(IngestError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes, options: .init(maxDepth: limits.maxDepth, repairUTF8: false))
        } catch {
            let reason =
                error.reason.contains("UTF-8") || error.reason.contains("surrogate") ? "invalid_utf8"
                : error.reason.contains("nesting") ? "too_deep" : "invalid_json"
            throw .badRequest(reason, "\(what): \(error.description)")
        }
    }

    package static func object(_ bytes: [UInt8], limits: IngestLimits, what: String) throws(IngestError) -> [(key: String, value: JSONValue)] {
        guard case .object(let members) = try parse(bytes, limits: limits, what: what) else {
            throw .badRequest("not_an_object", "\(what) is not a JSON object")
        }
        return members
    }
}
