extension JSONReader {
    /// One member of an object: where its key and value are in the text.
    package struct Member {
        /// The key's bytes between its quotes, escapes as written.
        package var key: Range<Int>
        /// The value's text: a string with its quotes, an object with its braces.
        package var value: Range<Int>
        package var kind: Kind
        /// Whether the key or (for a string) the value holds a backslash escape.
        package var keyEscaped: Bool
        package var valueEscaped: Bool

        package init(key: Range<Int>, value: Range<Int>, kind: Kind, keyEscaped: Bool, valueEscaped: Bool) {
            self.key = key
            self.value = value
            self.kind = kind
            self.keyEscaped = keyEscaped
            self.valueEscaped = valueEscaped
        }
    }

    /// The members of the object `bytes` holds, in order (duplicates kept), appended to `members`; the whole text is
    /// checked (strictly: no UTF-8 repair) but nothing is built, so ingest copies values through instead of making a
    /// tree of `String`s per event. Valid JSON that is not an object is refused as ``JSONParser/Error/Kind/unexpectedType``.
    package static func members(
        of bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, into members: inout [Member]
    ) throws(JSONParser.Error) {
        var reader = JSONReader(bytes, maxDepth: maxDepth, repairUTF8: false)
        guard try reader.peek() == .object else {
            // Anything else is refused for what it is: not JSON at all, or JSON that is not an object.
            try reader.skipValue(depth: 0)
            try reader.end()
            throw JSONParser.Error(offset: 0, reason: "not a JSON object", kind: .unexpectedType)
        }
        try reader.open(depth: 1)
        while try reader.nextMember() {
            let key = try reader.key()
            let kind = try reader.peek()
            let start = reader.offset
            var valueEscaped = false
            if kind == .string {
                valueEscaped = try reader.string().escaped
            } else {
                try reader.skipValue(depth: 1)
            }
            members.append(Member(key: key.content, value: start..<reader.offset, kind: kind, keyEscaped: key.escaped, valueEscaped: valueEscaped))
        }
        try reader.end()
    }

    /// The elements of the array `bytes` holds, in order, as the ranges of their texts, appended to `elements`:
    /// a page of events read without building them (the command line prints each as the server stored it).
    package static func elements(
        ofArray bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, into elements: inout [Range<Int>]
    ) throws(JSONParser.Error) {
        var reader = JSONReader(bytes, maxDepth: maxDepth, repairUTF8: false)
        guard try reader.peek() == .array else { throw JSONParser.Error(offset: 0, reason: "not a JSON array", kind: .unexpectedType) }
        try reader.open(depth: 1)
        while try reader.nextElement() {
            _ = try reader.peek()
            let start = reader.offset
            try reader.skipValue(depth: 1)
            elements.append(start..<reader.offset)
        }
        try reader.end()
    }
}
