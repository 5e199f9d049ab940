import Keel

/// Takes a line apart on the assumption that it has a shape already seen — the same keys, in the same order, as the
/// line before it in the block, which is nearly every line — instead of parsing it.
///
/// A block's lines were checked as JSON when they were acknowledged; what a block needs of each is where its members
/// lie. Given the keys to expect, each member is matched where it must be: `"key":` compared as bytes, a number,
/// `true`, `false` or `null` ended by the next `,` or `}`, a string, an object or an array read by ``JSONReader``.
/// Anything else — a key not where it was expected, a byte out of place — gives up, and the caller parses the line
/// with ``JSONReader`` as before. For a compact line that is valid JSON — every line a block is given was checked
/// when it was acknowledged — what it finds is exactly what a parse finds (tests compare the two), so the block is
/// the same either way.
enum ShapeMatch {
    /// The members of `line` if its keys are `keys` (each key's bytes as written between its quotes, and whether
    /// they hold an escape), in order, in a compact object; `false` (and `members` as it was) otherwise.
    static func members(
        of line: UnsafeBufferPointer<UInt8>, keys: (Int) -> (bytes: UnsafeBufferPointer<UInt8>, escaped: Bool), count: Int,
        into members: inout [JSONReader.Member]
    ) -> Bool {
        guard count > 0, line.count >= 2, line[0] == UInt8(ascii: "{"),
            line[line.count - 1] == UInt8(ascii: "}")
        else { return false }
        let kept = members.count
        func giveUp() -> Bool {
            members.removeSubrange(kept...)
            return false
        }
        var reader = JSONReader(line, maxDepth: 128, repairUTF8: false)
        var at = 1  // where the next member's key opens
        for index in 0..<count {
            let (key, keyEscaped) = keys(index)
            let keyStart = at + 1
            let keyEnd = keyStart + key.count
            // `"key":` and at least one byte of value, before the closing brace.
            guard keyEnd + 2 < line.count, line[at] == UInt8(ascii: "\""), line[keyEnd] == UInt8(ascii: "\""),
                line[keyEnd + 1] == UInt8(ascii: ":"), ByteSearch.equal(UnsafeBufferPointer(rebasing: line[keyStart..<keyEnd]), key)
            else { return giveUp() }
            let valueStart = keyEnd + 2
            let kind: JSONReader.Kind
            var valueEnd: Int
            var valueEscaped = false
            switch line[valueStart] {
            case UInt8(ascii: "\""):
                // Read by the one JSON reader: eight bytes at a time to its closing quote, escapes and all.
                kind = .string
                reader.skip(to: valueStart)
                guard let token = try? reader.string() else { return giveUp() }
                valueEnd = reader.offset
                valueEscaped = token.escaped
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                let first = line[valueStart]
                kind = first == UInt8(ascii: "t") || first == UInt8(ascii: "f") ? .bool : first == UInt8(ascii: "n") ? .null : .number
                valueEnd = valueStart + 1
                while valueEnd < line.count, line[valueEnd] != UInt8(ascii: ","), line[valueEnd] != UInt8(ascii: "}") {
                    // Only the bytes a number or a literal is made of.
                    switch line[valueEnd] {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"),
                        UInt8(ascii: "-"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                        valueEnd += 1
                    default:
                        return giveUp()
                    }
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                // An object or an array (a `context`, an `error`): stepped over by the one JSON reader.
                reader.skip(to: valueStart)
                guard let skipped = try? reader.skipValue(depth: 1) else { return giveUp() }
                kind = skipped
                valueEnd = reader.offset
            default:
                return giveUp()
            }
            // Then `,` and the next member, or `}` and the end.
            let last = index == count - 1
            guard valueEnd < line.count, line[valueEnd] == (last ? UInt8(ascii: "}") : UInt8(ascii: ",")),
                !last || valueEnd == line.count - 1
            else { return giveUp() }
            members.append(
                JSONReader.Member(
                    key: keyStart..<keyEnd, value: valueStart..<valueEnd, kind: kind,
                    keyEscaped: keyEscaped, valueEscaped: valueEscaped))
            at = valueEnd + 1
        }
        return true
    }
}
