/// A strict JSON (RFC 8259) parser over bytes, for reading log lines: builds a ``JSONValue`` with ``JSONReader``.
///
/// Strict so that `keel lint` and ingest can trust what it accepts: no trailing commas, no comments, no NaN,
/// nothing after the value but whitespace, and a nesting limit. Invalid UTF-8 inside strings is an error
/// (``Options/repairUTF8`` replaces it with U+FFFD instead, for readers that must show what is there).
public enum JSONParser {
    public struct Options: Sendable {
        public var maxDepth = 64
        public var repairUTF8 = false
        public init(maxDepth: Int = 64, repairUTF8: Bool = false) {
            self.maxDepth = maxDepth
            self.repairUTF8 = repairUTF8
        }
    }

    /// Why a text is not JSON, and where.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable, Equatable {
        /// What kind of fault: ingest answers each with its own reason.
        package enum Kind: Sendable {
            case syntax, invalidUTF8, tooDeep
            /// Valid JSON, but not the type asked for (an array where an object must be).
            case unexpectedType
        }

        public let offset: Int
        public let reason: String
        package let kind: Kind
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }

        package init(offset: Int, reason: String, kind: Kind = .syntax) {
            self.offset = offset
            self.reason = reason
            self.kind = kind
        }
    }

    /// Parses one JSON value that fills `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer, options: Options = Options()) throws(Error) -> JSONValue {
        var reader = JSONReader(bytes.bindMemory(to: UInt8.self), maxDepth: options.maxDepth, repairUTF8: options.repairUTF8)
        let value = try value(&reader, depth: 0)
        try reader.end()
        return value
    }

    public static func parse(_ text: String, options: Options = Options()) throws(Error) -> JSONValue {
        var text = text
        let result: Result<JSONValue, Error> = text.withUTF8 { buffer in
            do throws(Error) {
                return .success(try parse(UnsafeRawBufferPointer(buffer), options: options))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8], options: Options = Options()) throws(Error) -> JSONValue {
        let result: Result<JSONValue, Error> = bytes.withUnsafeBytes { buffer in
            do throws(Error) {
                return .success(try parse(buffer, options: options))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The value at the reader's cursor; `depth` is the depth of the container it is in.
    private static func value(_ reader: inout JSONReader, depth: Int) throws(Error) -> JSONValue {
        switch try reader.peek() {
        case .object:
            try reader.open(depth: depth + 1)
            var members: [(key: String, value: JSONValue)] = []
            while try reader.nextMember() {
                let key = reader.text(of: try reader.key())
                members.append((key, try value(&reader, depth: depth + 1)))
            }
            return .object(members)
        case .array:
            try reader.open(depth: depth + 1)
            var elements: [JSONValue] = []
            while try reader.nextElement() { elements.append(try value(&reader, depth: depth + 1)) }
            return .array(elements)
        case .string:
            return .string(reader.text(of: try reader.string()))
        case .number:
            return .number(String(decoding: UnsafeBufferPointer(rebasing: reader.bytes[try reader.number()]), as: UTF8.self))
        case .bool, .null:
            let start = reader.offset
            return try reader.literal() == .null ? .null : .bool(reader.bytes[start] == UInt8(ascii: "t"))
        }
    }
}
