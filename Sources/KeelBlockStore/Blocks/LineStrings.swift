import Keel
import KeelStore

/// The top-level string members of a canonical line (a JSON object; anything else has none) that a block's filter
/// and an event's key are made of, as key and text. One reader for both, so they agree on every line.
enum LineStrings {
    /// What a filter reads of a line: its message, its event id and its id fields.
    static let filtered: [[UInt8]] = (["message", "event_id"] + IDField.allCases.map(\.rawValue)).map { Array($0.utf8) }

    /// Gives `body` each top-level string member of `line` whose key is one of `keys` (as bytes), as key and text.
    static func each(
        of line: UnsafeBufferPointer<UInt8>, keys: [[UInt8]] = filtered, into members: inout [JSONReader.Member],
        _ body: (String, String) -> Void
    ) {
        members.removeAll(keepingCapacity: true)
        guard (try? JSONReader.members(of: line, maxDepth: 128, into: &members)) != nil else { return }
        for member in members where member.kind == .string && !member.keyEscaped {
            let key = UnsafeBufferPointer(rebasing: line[member.key])
            guard keys.contains(where: { $0.elementsEqual(key) }) else { continue }
            var reader = JSONReader(line, maxDepth: 1, repairUTF8: true)
            reader.skip(to: member.value.lowerBound)
            guard let token = try? reader.string() else { continue }
            body(String(decoding: key, as: UTF8.self), reader.text(of: token))
        }
    }
}
