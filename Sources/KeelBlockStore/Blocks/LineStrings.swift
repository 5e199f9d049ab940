import Keel

/// The top-level string members of a canonical line (a JSON object; anything else has none), as key and text: what
/// a block's filter and an event's key are made of. One reader for both, so they agree on every line.
enum LineStrings {
    static func each(of line: [UInt8], into members: inout [JSONReader.Member], _ body: (String, String) -> Void) {
        members.removeAll(keepingCapacity: true)
        line.withUnsafeBufferPointer { bytes in
            guard (try? JSONReader.members(of: bytes, maxDepth: 128, into: &members)) != nil else { return }
            for member in members where member.kind == .string && !member.keyEscaped {
                var reader = JSONReader(bytes, maxDepth: 1, repairUTF8: true)
                reader.skip(to: member.value.lowerBound)
                guard let token = try? reader.string() else { continue }
                body(String(decoding: UnsafeBufferPointer(rebasing: bytes[member.key]), as: UTF8.self), reader.text(of: token))
            }
        }
    }
}
