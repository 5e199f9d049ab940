/// The redaction engine: redacts one JSON text straight from its bytes into an output buffer, as compact JSON,
/// reading it with ``JSONReader`` and building no tree.
///
/// Every way Keel redacts JSON ends here: `keel redact`, ingest's normaliser, the public
/// ``Redactor/redactJSON(_:)`` and the tree form ``Redactor/redact(_:)`` (which writes its value out and reads the
/// result back). A string that holds nothing is copied through without becoming a `String`, and nothing is
/// allocated per value. Acceptance is the reader's with `repairUTF8`: invalid UTF-8 in strings is replaced by U+FFFD;
/// anything else that is not JSON is an error and leaves the output as it was.
struct RedactionEngine {
    private let redactor: Redactor
    // What every string needs, held directly rather than read through `redactor` each time.
    private let strings: StringRedactor
    private let keyRules: KeyRules
    private let limit: Int
    private let tracksPaths: Bool
    private var reader: JSONReader
    /// Where a string with escapes is decoded; allocated at the first one and reused within the text.
    private var scratch: OutputBuffer?
    /// The paths of the values being read, outermost first (`user`, `user.emails`, `user.emails[0]`), kept only
    /// when the policy allow-lists paths.
    private var paths: [String] = []
    /// What was removed so far, once per type, in the order first found.
    private(set) var types: [RedactionType] = []

    init(redactor: Redactor, bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.redactor = redactor
        self.strings = redactor.strings
        self.keyRules = redactor.keyRules
        self.limit = redactor.maximumStringLength
        self.tracksPaths = redactor.tracksPaths
        self.reader = JSONReader(bytes, maxDepth: maxDepth, repairUTF8: true)
    }

    /// Starts again on another text with the same redactor, keeping what the engine allocated: for a caller that
    /// redacts many texts.
    mutating func restart(on bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        reader = JSONReader(bytes, maxDepth: maxDepth, repairUTF8: true)
        paths.removeAll(keepingCapacity: true)
        types.removeAll(keepingCapacity: true)
    }

    /// Whether the engine redacts as `redactor` does (it was made with it).
    func serves(_ redactor: Redactor) -> Bool { strings === redactor.strings }

    /// Frees the scratch buffer; the redactor must not be used afterwards.
    func deallocate() { scratch?.deallocate() }

    /// Writes the redacted text to `out` and returns what was removed; on an error `out` is left as it was.
    mutating func run(to out: inout OutputBuffer) throws(JSONParser.Error) -> [RedactionType] {
        let mark = out.count
        do throws(JSONParser.Error) {
            try value(depth: 0, redacting: !(tracksPaths && redactor.policy.allowedPaths.contains("")), to: &out)
            try reader.end()
        } catch {
            out.truncate(to: mark)
            throw error
        }
        return types
    }

    /// Writes the value at `offset` as ``run(to:)`` writes the value of a top-level member named as `field` (which the
    /// key rules keep: ``KeyRules``): for a caller that assembles one object from the members of others (ingest's
    /// normaliser) without copying them into one text first. What it removes joins ``types``; on an error `out` is
    /// left as it was.
    mutating func member(_ field: FieldID, valueAt offset: Int, to out: inout OutputBuffer) throws(JSONParser.Error) {
        let redacting = !(tracksPaths && redactor.policy.allowedPaths.contains(""))
        let mark = out.count
        reader.skip(to: offset)
        let allowed = tracksPaths && enter(FieldCatalogue.fields[Int(field.rawValue)].name)
        defer { if tracksPaths { paths.removeLast() } }
        do throws(JSONParser.Error) {
            try value(depth: 1, redacting: redacting && !allowed, to: &out)
        } catch {
            out.truncate(to: mark)
            throw error
        }
    }

    /// Steps into the member `key` of the object at the current path; returns whether its path is allow-listed.
    private mutating func enter(_ key: String) -> Bool {
        let outer = paths.last ?? ""
        paths.append(outer.isEmpty ? key : outer + "." + key)
        return redactor.policy.allowedPaths.contains(paths[paths.count - 1])
    }

    /// Steps into the element `index` of the array at the current path; returns whether its path is allow-listed.
    private mutating func enter(index: Int) -> Bool {
        paths.append((paths.last ?? "") + "[\(index)]")
        return redactor.policy.allowedPaths.contains(paths[paths.count - 1])
    }

    /// Writes the value at the cursor; `redacting` is false inside an allow-listed path, where values are copied
    /// (as compact JSON) and object keys are not redacted either.
    private mutating func value(depth: Int, redacting: Bool, to out: inout OutputBuffer) throws(JSONParser.Error) {
        switch try reader.peek() {
        case .object: try object(depth: depth + 1, redacting: redacting, to: &out)
        case .array: try array(depth: depth + 1, redacting: redacting, to: &out)
        case .string: try string(key: false, redacting: redacting, to: &out)
        case .number: number(try reader.number(), redacting: redacting, to: &out)
        case .bool, .null:
            let start = reader.offset
            _ = try reader.literal()
            out.append(UnsafeBufferPointer(rebasing: reader.bytes[start..<reader.offset]))
        }
    }

    private mutating func object(depth: Int, redacting: Bool, to out: inout OutputBuffer) throws(JSONParser.Error) {
        try reader.open(depth: depth)
        out.append(UInt8(ascii: "{"))
        var first = true
        while try reader.nextMember() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            try reader.expectKey()
            let (verdict, key) = try string(key: true, redacting: redacting, to: &out)
            try reader.expectColon()
            out.append(UInt8(ascii: ":"))
            let allowed = tracksPaths && enter(reader.text(of: key))
            switch redacting && !allowed ? verdict : .keep {
            case .keep: try value(depth: depth, redacting: redacting && !allowed, to: &out)
            case .secret: try secretValue(depth: depth, to: &out)
            case .body: try bodyValue(depth: depth, to: &out)
            }
            if tracksPaths { paths.removeLast() }
        }
        out.append(UInt8(ascii: "}"))
    }

    private mutating func array(depth: Int, redacting: Bool, to out: inout OutputBuffer) throws(JSONParser.Error) {
        try reader.open(depth: depth)
        out.append(UInt8(ascii: "["))
        var index = 0
        while try reader.nextElement() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let allowed = tracksPaths && enter(index: index)
            try value(depth: depth, redacting: redacting && !allowed, to: &out)
            if tracksPaths { paths.removeLast() }
            index += 1
        }
        out.append(UInt8(ascii: "]"))
    }

    // MARK: Values the key rules replace

    /// A secret's value, whatever its type, becomes `[REDACTED:SECRET]`; `null` stays (nothing to hide).
    private mutating func secretValue(depth: Int, to out: inout OutputBuffer) throws(JSONParser.Error) {
        if try reader.skipValue(depth: depth) == .null {
            out.append("null")
            return
        }
        note(.secret)
        out.append("\"[REDACTED:SECRET]\"")
    }

    /// A body becomes its size and digest (``BodySummary``), never its content; `null` stays.
    private mutating func bodyValue(depth: Int, to out: inout OutputBuffer) throws(JSONParser.Error) {
        note(.body)
        let kind = try reader.peek()
        let start = reader.offset
        if kind == .string {
            BodySummary.write(of: reader.text(of: try reader.string()), to: &out)
            return
        }
        if try reader.skipValue(depth: depth) == .null {
            out.append("null")
            return
        }
        // Bodies are rare: the tree of this one value is the simplest way to its compact text.
        let slice = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: reader.bytes[start..<reader.offset]))
        let value = (try? JSONParser.parse(slice, options: .init(maxDepth: .max, repairUTF8: true))) ?? .null
        BodySummary.write(of: value.jsonText, to: &out)
    }

    // MARK: Numbers

    private mutating func number(_ range: Range<Int>, redacting: Bool, to out: inout OutputBuffer) {
        let text = UnsafeBufferPointer(rebasing: reader.bytes[range])
        if redacting, redactor.checksCardNumbers, NumberDetectors.isCardNumber(text) {
            note(.creditCard)
            out.append("\"[REDACTED:CREDIT_CARD]\"")
        } else {
            out.append(text)
        }
    }

    // MARK: Strings

    /// Reads a string (a key when `key`) and writes it redacted, unless not `redacting`; returns the key rules'
    /// verdict for a key, and the string as it stands in the text.
    @discardableResult
    private mutating func string(
        key: Bool, redacting: Bool, to out: inout OutputBuffer
    ) throws(JSONParser.Error) -> (verdict: KeyRules.Verdict, token: JSONReader.StringToken) {
        let limit = redacting ? limit : .max
        // The pass the detectors need also tells the reader whether the string is plain (no escapes to decode).
        let quote = reader.nextQuote()
        let start = reader.offset + 1
        let features = ByteFeatures(UnsafeBufferPointer(rebasing: reader.bytes[start..<quote]))
        let token = try reader.string(endingAt: quote, features.hasEscapes ? .needsReading : features.isASCII ? .ascii : .text)
        if !token.escaped {
            // Then the string ends at `quote`, and `features` are its own.
            let text = UnsafeBufferPointer(rebasing: reader.bytes[token.content])
            let detectors = redacting ? strings.detectors(for: text, features: features) : nil
            // Most strings: plain ASCII that no detector can match, copied as they are, right here.
            if detectors == nil, token.validUTF8, features.isPlainJSON, text.count <= limit {
                out.appendQuoted(text)
                return (key && redacting ? keyRules.verdict(utf8: text) : .keep, token)
            }
            let verdict = Self.write(
                text, validUTF8: token.validUTF8, features: features, detectors: detectors, key: key && redacting,
                strings: strings, keyRules: keyRules, limit: limit, to: &out, types: &types)
            return (verdict, token)
        }
        // Escapes (or DEL, which the output escapes): the text is decoded first, and looked at again.
        var decoded = scratch ?? OutputBuffer(capacity: 256)
        defer { scratch = decoded }
        decoded.removeAll()
        reader.decode(token) { decoded.append($0) }
        let text = UnsafeBufferPointer(start: decoded.base, count: decoded.count)
        let decodedFeatures = ByteFeatures(text)
        let verdict = Self.write(
            text, validUTF8: token.validUTF8, features: decodedFeatures,
            detectors: redacting ? strings.detectors(for: text, features: decodedFeatures) : nil, key: key && redacting,
            strings: strings, keyRules: keyRules, limit: limit, to: &out, types: &types)
        return (verdict, token)
    }

    /// Writes a decoded string through the detectors and the length limit; for a key, also decides its verdict.
    ///
    /// Static, with what it needs passed in: as a method of the mutable walker it would retain the redactor's parts
    /// for every string.
    @inline(never)
    private static func write(
        _ text: UnsafeBufferPointer<UInt8>, validUTF8: Bool, features: ByteFeatures, detectors: DetectorSet?, key: Bool,
        strings: StringRedactor, keyRules: KeyRules, limit: Int, to out: inout OutputBuffer,
        types: inout [RedactionType]
    ) -> KeyRules.Verdict {
        guard validUTF8 else {
            // Invalid UTF-8 is replaced, as the parser's repair does, and the repaired text goes the same way.
            var repaired = String(decoding: text, as: UTF8.self)
            return repaired.withUTF8 {
                let features = ByteFeatures($0)
                return write(
                    $0, validUTF8: true, features: features, detectors: strings.detectors(for: $0, features: features), key: key,
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
    /// When `bytes` is not JSON it throws and `out` is left as it was.
    package func redactJSON(
        _ bytes: UnsafeRawBufferPointer, to out: inout OutputBuffer, maxDepth: Int = 128
    ) throws(JSONParser.Error) -> [RedactionType] {
        var redactor = RedactionEngine(redactor: self, bytes: bytes.bindMemory(to: UInt8.self), maxDepth: maxDepth)
        defer { redactor.deallocate() }
        return try redactor.run(to: &out)
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
