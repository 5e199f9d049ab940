/// Redacts one JSON text straight from its bytes into an output buffer, as compact JSON, without building a tree.
///
/// This is the redaction engine as `keel redact` and ingest run it on lines: the same key rules, detectors,
/// card-number check and length limit as ``Redactor`` on a ``JSONValue``, and the same output byte for byte, but a
/// string that holds nothing is copied through without becoming a `String`, and nothing is allocated per value.
/// Acceptance is the parser's with `repairUTF8`: invalid UTF-8 in strings is replaced by U+FFFD; anything else that
/// is not JSON is an error and leaves the output as it was.
struct JSONTextRedactor {
    private let redactor: Redactor
    // What every string needs, held directly rather than read through `redactor` each time.
    private let strings: StringRedactor
    private let keyRules: KeyRules
    private let limit: Int
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var i = 0
    /// Where a string with escapes is decoded; allocated at the first one and reused within the text.
    private var scratch: OutputBuffer?
    var types: [RedactionType] = []
    /// When set, where each member value of the top-level object was written in `out`, in order: a caller that
    /// needs the members of what it redacted (ingest's normaliser) does not scan the output again.
    var topLevelValues: [Range<Int>]?

    private static let parseOptions = JSONParser.Options(maxDepth: 128, repairUTF8: true)

    init(redactor: Redactor, bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.redactor = redactor
        self.strings = redactor.strings
        self.keyRules = redactor.keyRules
        self.limit = redactor.maximumStringLength
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Frees the scratch buffer; the redactor must not be used afterwards.
    func deallocate() { scratch?.deallocate() }

    /// Writes the redacted text to `out`; on an error `out` may hold part of it (the caller cuts it back).
    mutating func run(to out: inout OutputBuffer) throws(JSONParser.Error) {
        skipWhitespace()
        try value(depth: 0, to: &out)
        skipWhitespace()
        guard i == bytes.count else { throw error("unexpected text after the value") }
    }

    private func error(_ reason: String) -> JSONParser.Error { JSONParser.Error(offset: i, reason: reason) }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int, to out: inout OutputBuffer) throws(JSONParser.Error) {
        guard i < bytes.count else { throw error("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): try object(depth: depth + 1, to: &out)
        case UInt8(ascii: "["): try array(depth: depth + 1, to: &out)
        case UInt8(ascii: "\""): try string(key: false, to: &out)
        case UInt8(ascii: "t"): try literal("true", to: &out)
        case UInt8(ascii: "f"): try literal("false", to: &out)
        case UInt8(ascii: "n"): try literal("null", to: &out)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(to: &out)
        default: throw error("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString, to out: inout OutputBuffer) throws(JSONParser.Error) {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw error("unexpected end of input") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw error("unexpected character") }
        i += n
        out.append(word)
    }

    private mutating func object(depth: Int, to out: inout OutputBuffer) throws(JSONParser.Error) {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth)") }
        i += 1
        out.append(UInt8(ascii: "{"))
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            out.append(UInt8(ascii: "}"))
            return
        }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let verdict = try string(key: true, to: &out)
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
            i += 1
            out.append(UInt8(ascii: ":"))
            skipWhitespace()
            let start = out.count
            switch verdict {
            case .keep: try value(depth: depth, to: &out)
            case .secret: try secretValue(to: &out)
            case .body: try bodyValue(to: &out)
            }
            if depth == 1, topLevelValues != nil { topLevelValues!.append(start..<out.count) }
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                out.append(UInt8(ascii: ","))
                continue
            }
            guard bytes[i] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
            i += 1
            out.append(UInt8(ascii: "}"))
            return
        }
    }

    private mutating func array(depth: Int, to out: inout OutputBuffer) throws(JSONParser.Error) {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth)") }
        i += 1
        out.append(UInt8(ascii: "["))
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            out.append(UInt8(ascii: "]"))
            return
        }
        while true {
            skipWhitespace()
            try value(depth: depth, to: &out)
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                out.append(UInt8(ascii: ","))
                continue
            }
            guard bytes[i] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
            i += 1
            out.append(UInt8(ascii: "]"))
            return
        }
    }

    // MARK: Values the key rules replace

    /// A secret's value, whatever its type, becomes `[REDACTED:SECRET]`; `null` stays (nothing to hide).
    private mutating func secretValue(to out: inout OutputBuffer) throws(JSONParser.Error) {
        // The usual secret, a string with no escapes, is stepped over without parsing: none of it is kept, and
        // every byte from 0x20 up is valid in it (invalid UTF-8 would be repaired, not refused).
        if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
            let end = bytes.next(UInt8(ascii: "\""), from: i + 1)
            if end < bytes.count, !bytes[(i + 1)..<end].contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
                i = end + 1
                note(.secret)
                out.append("\"[REDACTED:SECRET]\"")
                return
            }
        }
        let value = try skippedValue()
        if case .null = value {
            out.append("null")
            return
        }
        note(.secret)
        out.append("\"[REDACTED:SECRET]\"")
    }

    /// A body becomes its size and digest (``BodySummary``); never its content.
    private mutating func bodyValue(to out: inout OutputBuffer) throws(JSONParser.Error) {
        let value = try skippedValue()
        note(.body)
        Redactor.bodySummary(value).write(to: &out)
    }

    /// Steps over one value and parses it: replaced values are rare, and the parser decides what is valid.
    private mutating func skippedValue() throws(JSONParser.Error) -> JSONValue {
        let start = i
        var depth = 0
        var inString = false
        scan: while i < bytes.count {
            let b = bytes[i]
            if inString {
                if b == UInt8(ascii: "\\") {
                    i += 1
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 0 {
                        i += 1
                        break scan
                    }
                }
            } else {
                switch b {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { break scan }
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        break scan
                    }
                case UInt8(ascii: ","), 0x20, 0x0A, 0x0D, 0x09:
                    if depth == 0 { break scan }
                default: break
                }
            }
            i += 1
        }
        let slice = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<min(i, bytes.count)])
        do throws(JSONParser.Error) {
            return try JSONParser.parse(slice, options: Self.parseOptions)
        } catch {
            throw JSONParser.Error(offset: start + error.offset, reason: error.reason)
        }
    }

    // MARK: Numbers

    private mutating func number(to out: inout OutputBuffer) throws(JSONParser.Error) {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count else { throw error("invalid number") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if digits() == 0 {
            throw error("invalid number")
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw error("invalid number") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error("invalid number") }
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<i])
        if redactor.checksCardNumbers, NumberDetectors.isCardNumber(text) {
            note(.creditCard)
            out.append("\"[REDACTED:CREDIT_CARD]\"")
        } else {
            out.append(text)
        }
    }

    private mutating func digits() -> Int {
        let start = i
        while i < bytes.count, ByteClass.isDigit(bytes[i]) { i += 1 }
        return i - start
    }

    // MARK: Strings

    /// Reads a string (a key when `key`), writes it redacted, and returns the key rules' verdict for a key.
    @discardableResult
    private mutating func string(key: Bool, to out: inout OutputBuffer) throws(JSONParser.Error) -> KeyRules.Verdict {
        i += 1
        let start = i
        // Fast path: no escapes, so the text is the bytes up to the next quote (found with memchr); the byte pass
        // the detectors need also tells whether a backslash or a control character came before it.
        let quote = bytes.next(UInt8(ascii: "\""), from: start)
        guard quote < bytes.count else { throw error("unterminated string") }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<quote])
        let features = ByteFeatures(text)
        if !features.hasEscapes {
            i = quote + 1
            let detectors = strings.detectors(for: text, features: features)
            // Most strings: plain ASCII that no detector can match, copied as they are, right here.
            if detectors == nil, features.isPlainJSON, text.count <= limit {
                out.appendQuoted(text)
                return key ? keyRules.verdict(utf8: text) : .keep
            }
            return Self.write(
                text, features: features, detectors: detectors, key: key, strings: strings, keyRules: keyRules,
                limit: limit, to: &out, types: &types)
        }
        // A backslash, DEL (allowed, escaped on output) or a control character (an error): byte by byte.
        while i < quote, bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
        var decoded = scratch ?? OutputBuffer(capacity: 256)
        decoded.removeAll()
        decoded.append(UnsafeBufferPointer(rebasing: bytes[start..<i]))
        defer { scratch = decoded }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                let text = UnsafeBufferPointer(start: decoded.base, count: decoded.count)
                let features = ByteFeatures(text)
                return Self.write(
                    text, features: features, detectors: strings.detectors(for: text, features: features), key: key,
                    strings: strings, keyRules: keyRules, limit: limit, to: &out, types: &types)
            }
            if b < 0x20 { throw error("control character in string") }
            if b != UInt8(ascii: "\\") {
                decoded.append(b)
                i += 1
                continue
            }
            try JSONParser.decodeEscape(bytes, at: &i, repairUTF8: true) { decoded.append($0) }
        }
        throw error("unterminated string")
    }

    /// Writes a decoded string through the detectors and the length limit; for a key, also decides its verdict.
    ///
    /// Static, with what it needs passed in: as a method of the mutable walker it would retain the redactor's parts
    /// for every string.
    @inline(never)
    private static func write(
        _ text: UnsafeBufferPointer<UInt8>, features: ByteFeatures, detectors: DetectorSet?, key: Bool,
        strings: StringRedactor, keyRules: KeyRules, limit: Int, to out: inout OutputBuffer,
        types: inout [RedactionType]
    ) -> KeyRules.Verdict {
        guard features.isASCII || (try? UTF8Span(validating: text.span)) != nil else {
            // Invalid UTF-8 is replaced, as the parser's repair does, and the repaired text goes the same way.
            var repaired = String(decoding: text, as: UTF8.self)
            return repaired.withUTF8 {
                let features = ByteFeatures($0)
                return write(
                    $0, features: features, detectors: strings.detectors(for: $0, features: features), key: key,
                    strings: strings, keyRules: keyRules, limit: limit, to: &out, types: &types)
            }
        }
        let verdict = key ? keyRules.verdict(utf8: text) : .keep
        guard let detectors, let findings = strings.findings(in: text, running: detectors) else {
            if text.count > limit {
                out.appendJSONString(Redactor.limited(String(decoding: text, as: UTF8.self), to: limit)!)
            } else if features.isPlainJSON {
                out.appendQuoted(text)
            } else {
                out.appendJSONString(utf8: text)
            }
            return verdict
        }
        // Written in one pass; cut back and redone in the rare case that the redacted text exceeds the limit.
        let mark = out.count
        let length = strings.appendJSONString(redacting: text, findings, to: &out) { note($0, in: &types) }
        if length > limit {
            out.truncate(to: mark)
            out.appendJSONString(Redactor.limited(strings.redact(utf8: text)!.text, to: limit)!)
        }
        return verdict
    }

    private mutating func note(_ type: RedactionType) { Self.note(type, in: &types) }

    private static func note(_ type: RedactionType, in types: inout [RedactionType]) {
        if !types.contains(type) { types.append(type) }
    }
}

extension Redactor {
    /// Redacts the JSON text in `bytes` into `out` as compact JSON and returns what was removed (once per type).
    ///
    /// The same result as parsing, ``redact(_:)`` and writing, without the tree: the fast way to redact lines.
    /// When `bytes` is not JSON it throws and `out` is left as it was.
    package func redactJSON(
        _ bytes: UnsafeRawBufferPointer, to out: inout OutputBuffer, maxDepth: Int = 128
    ) throws(JSONParser.Error) -> [RedactionType] {
        var unlisted: [Range<Int>]?
        return try redactJSON(bytes, to: &out, maxDepth: maxDepth, topLevelValues: &unlisted)
    }

    /// ``redactJSON(_:to:maxDepth:)`` that also says where each member value of a top-level object was written in
    /// `out` (`topLevelValues`, emptied first); `nil` when the engine could not say (a policy with allow-listed
    /// paths redacts through the tree).
    package func redactJSON(
        _ bytes: UnsafeRawBufferPointer, to out: inout OutputBuffer, maxDepth: Int = 128,
        topLevelValues: inout [Range<Int>]?
    ) throws(JSONParser.Error) -> [RedactionType] {
        let mark = out.count
        if tracksPaths {
            topLevelValues = nil
            // Allow-listed paths need the path of every value: the tree walk keeps them.
            let value = try JSONParser.parse(bytes, options: .init(maxDepth: maxDepth, repairUTF8: true))
            let result = redact(value)
            result.value.write(to: &out)
            return result.types
        }
        var redactor = JSONTextRedactor(redactor: self, bytes: bytes.bindMemory(to: UInt8.self), maxDepth: maxDepth)
        defer { redactor.deallocate() }
        if topLevelValues != nil {
            topLevelValues!.removeAll(keepingCapacity: true)
            // Moved in and back out, so the caller's storage is reused rather than copied.
            swap(&redactor.topLevelValues, &topLevelValues)
        }
        defer { if redactor.topLevelValues != nil { swap(&redactor.topLevelValues, &topLevelValues) } }
        do throws(JSONParser.Error) {
            try redactor.run(to: &out)
        } catch {
            out.truncate(to: mark)
            throw error
        }
        return redactor.types
    }

    /// Redacts a line of JSON text — a payload, a record from elsewhere — and returns it as compact JSON with what
    /// was removed (once per type); throws when `json` is not JSON.
    public func redactJSON(_ json: some StringProtocol) throws(JSONParser.Error) -> (json: String, redacted: [RedactionType]) {
        var text = String(json)
        var out = OutputBuffer(capacity: text.utf8.count + 64)
        defer { out.deallocate() }
        let outcome = text.withUTF8 { bytes in
            Swift.Result { () throws(JSONParser.Error) in try redactJSON(UnsafeRawBufferPointer(bytes), to: &out) }
        }
        return (String(decoding: out.bytes, as: UTF8.self), try outcome.get())
    }
}
