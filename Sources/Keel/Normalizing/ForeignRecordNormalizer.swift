package import Logging

/// Makes a record another program wrote canonical: the one rule behind `keel serve`'s ingest (every format) and
/// `keel pipe`.
///
/// - Names mean what ``ForeignVocabulary`` says (`ts`/`time`/`@timestamp` → `timestamp`, `severity`/`lvl` →
///   `level`, `msg` → `message`, `exception.*` → `error` …). A member that names a canonical field and fits it
///   (``FieldCatalogue/accepts(_:_:)``) becomes that field; every other member goes under `context`, as the
///   library does with metadata. Audit-chain fields (`seq`, `hash` …) describe the sender's own file and go under
///   `context` too.
/// - The record's own time, level and id are kept: a record without a time takes its envelope's or the time of
///   arrival; without a level, ``Rules/defaultLevel``; without a usable `event_id`, one derived from its content
///   (``EventIDGenerator/derived(from:at:)``), so a record sent twice is the same event.
/// - `schema_version` is Keel's; a sender's equal value is dropped, another goes under `context`.
/// - With a `tenant`, `tenant_id` is that tenant; a different value sent in the record is kept under `context`.
/// - Everything but the envelope (`timestamp`, `level`, `event_id`, `tenant_id` …) is redacted by the library's
///   engine, and `redacted` lists what was removed.
///
/// It works on text, not on a tree: ``JSONReader/members(of:maxDepth:into:)`` finds the members' byte ranges (validating
/// everything), each is given its canonical field or a place under `context`, and the line is written in canonical
/// order: the envelope made here, each other value redacted by the library's engine straight from where it lies in
/// the record (or, for the few values made of several members — `context`, `error` from flat parts — from where they
/// were put together), exactly as the engine redacts the members of one object. Values are never parsed into
/// `String`s except the few stores index.
package struct ForeignRecordNormalizer: Sendable {
    /// What the caller decides about every record.
    package struct Rules: Sendable {
        /// How deeply values may nest.
        package var maxDepth: Int
        /// The longest canonical line, in bytes.
        package var maxLineBytes: Int
        /// The level of a record that names none.
        package var defaultLevel: Logger.Level = .info
        /// Values for the fields a record does not set: `keel pipe`'s `service`, `env`, `version` and `host`.
        package var defaults: [FieldID: String] = [:]

        package init(maxDepth: Int, maxLineBytes: Int, defaultLevel: Logger.Level = .info, defaults: [FieldID: String] = [:]) {
            self.maxDepth = maxDepth
            self.maxLineBytes = maxLineBytes
            self.defaultLevel = defaultLevel
            self.defaults = defaults
        }
    }

    /// Why a record cannot be made canonical: a stable reason (`invalid_json`, `invalid_timestamp`,
    /// `line_too_long` …) and words for a person.
    package struct Refusal: Error, Sendable {
        package var reason: String
        package var message: String
        /// Whether the record is refused for its size rather than its content.
        package var isTooLarge: Bool

        package init(_ reason: String, _ message: String, isTooLarge: Bool = false) {
            self.reason = reason
            self.message = message
            self.isTooLarge = isTooLarge
        }
    }

    /// What stores and routers need to know of a canonical line, read while it was made. The line itself is in
    /// the ``Workspace``'s ``Workspace/line``.
    package struct Normalized: Sendable {
        /// Microseconds since the epoch.
        package var time: Int64
        package var level: Logger.Level
        package var eventID: String
        package var storageClass: StorageClass = .ops
        package var message = ""
        package var event: String?
        package var errorCode: String?
        /// The correlation ids stores index, when the record carries them (non-empty).
        package var requestID: String?
        package var traceID: String?
        package var runID: String?
        package var userID: String?
    }

    package let redactor: Redactor
    package let rules: Rules

    package init(redactor: Redactor, rules: Rules) {
        self.redactor = redactor
        self.rules = rules
        defaults = FieldID.allCases.map { rules.defaults[$0] }
        hasDefaults = !rules.defaults.isEmpty
        var text: [UInt8] = []
        keySpans = FieldCatalogue.fields.map { field in
            let start = text.count
            text += Array("\"\(field.name)\":".utf8)
            return start..<text.count
        }
        keyText = text
        outsideEnvelope = FieldID.allCases.reduce(0) { Self.envelope[Int($1.rawValue)] ? $0 : $0 | 1 << $1.rawValue }
        defaultFields = FieldID.allCases.reduce(0) { rules.defaults[$1] == nil ? $0 : $0 | 1 << $1.rawValue }
    }

    /// The fields outside the envelope, and the fields ``Rules/defaults`` gives values, as bits by raw value.
    private let outsideEnvelope: UInt64
    private let defaultFields: UInt64

    /// Each field's `"name":`, one after the other in `keyText` at `keySpans[raw value]`: written into
    /// every line, so read without a reference to an array of its own.
    private let keyText: [UInt8]
    private let keySpans: [Range<Int>]

    /// Appends field `field`'s `"name":` to `line`.
    private func appendKey(_ field: FieldID, to line: inout OutputBuffer) {
        keyText.withUnsafeBufferPointer { line.append(UnsafeBufferPointer(rebasing: $0[keySpans[Int(field.rawValue)]])) }
    }

    /// ``Rules/defaults``, by raw value.
    private let defaults: [String?]
    private let hasDefaults: Bool


    static let schemaVersionText = Array(String(FieldCatalogue.schemaVersion).utf8)

    /// Canonical fields a sender cannot set (audit-chain fields describe the sender's own audit file), by raw value.
    static let senderCannotSet: [Bool] = FieldID.allCases.map { [.schemaVersion, .seq, .prevHash, .hash, .redacted].contains($0) }

    /// The envelope, which is validated or made here and not redacted, by raw value. `tenant_id` is envelope only
    /// when the caller assigns the tenant.
    static let envelope: [Bool] = FieldID.allCases.map {
        [.timestamp, .level, .schemaVersion, .eventID, .redacted, .context].contains($0)
    }

    /// Each field's name as UTF-8, by raw value: to tell a canonical name from an alias without a `String`. Kept for
    /// the life of the process, so that comparing with one takes no reference to an array; never written after it is
    /// made, so safe to read from any thread.
    nonisolated(unsafe) static let names: [UnsafeBufferPointer<UInt8>] = FieldCatalogue.fields.map { field in
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: field.name.utf8.count)
        _ = bytes.initialize(from: field.name.utf8)
        return UnsafeBufferPointer(bytes)
    }

    /// Makes the JSON object in `object` canonical into `work.line`.
    ///
    /// - Parameters:
    ///   - envelopeTimestamp: the time the format carries outside the object (a Loki entry's, an OTLP record's),
    ///     in microseconds: used when the object has none.
    ///   - identity: a stable text of what was sent, from which a missing `event_id` is derived.
    ///   - tenant: the tenant the record belongs to, whatever it says; `nil` keeps the record's own `tenant_id`.
    ///   - now: the time of arrival, in microseconds: the time of a record that gives none.
    ///   - indexing: whether to read the fields stores index (``Normalized/message`` …) into the result.
    package func normalize(
        _ object: UnsafeBufferPointer<UInt8>, envelopeTimestamp: Int64? = nil, identity: UnsafeBufferPointer<UInt8>,
        tenant: String?, now: Int64, indexing: Bool = true, work: inout Workspace
    ) throws(Refusal) -> Normalized {
        work.members.removeAll(keepingCapacity: true)
        try Self.scan(object, maxDepth: rules.maxDepth, into: &work.members)
        let (timestamp, level) = try choose(object, tenant: tenant, work: &work)
        let time = timestamp ?? envelopeTimestamp ?? now
        var sentID: String?
        if case .member(let member) = work.chosen[Int(FieldID.eventID.rawValue)] {
            sentID = Self.string(object, member.value, escaped: member.valueEscaped)
        }
        let eventID =
            sentID.flatMap { EventIDGenerator.isUsable($0) ? $0 : nil }
            ?? EventIDGenerator.derived(from: identity, at: Timestamp(microsecondsSinceEpoch: time))
        gather(object, tenant: tenant, work: &work)
        return try assemble(
            object, time: time, level: level ?? rules.defaultLevel, eventID: eventID, tenant: tenant, indexing: indexing, work: &work)
    }

    /// Where one record's pieces are kept while it is made canonical; reused from record to record.
    package struct Workspace: ~Copyable {
        /// The record's members, then a `context` object's.
        var members: [JSONReader.Member] = []
        var nested: [JSONReader.Member] = []
        /// What the last record's member names meant.
        var meanings = NameMeanings()
        /// Which member, if any, became each canonical field (by raw value).
        private(set) var chosen = [Choice](repeating: .none, count: FieldID.count)
        /// The slots of `chosen` the record filled: the next record empties only those.
        private var filled: [Int] = []
        /// The same slots as bits, for walking them in canonical order.
        private(set) var filledFields: UInt64 = 0
        /// Members sent as parts of `error`, by ``ForeignVocabulary/ErrorPart``.
        var errorParts = [JSONReader.Member?](repeating: nil, count: ForeignVocabulary.ErrorPart.allCases.count)
        /// Members that go under `context`, in order.
        var context: [JSONReader.Member] = []
        /// The fields outside the envelope that the line has, in canonical order, and where each value lies.
        var parts: [Part] = []
        /// The values made of several members (`context`, an `error` from flat parts) and made-up ones (defaults),
        /// one after the other.
        var free = OutputBuffer(capacity: 1024)
        /// The engines that redacted the last record's values, from the record and from `free`, kept for the next.
        var recordEngine: RedactionEngine?
        var freeEngine: RedactionEngine?
        /// The canonical line of the last record made canonical.
        package var line = OutputBuffer(capacity: 1024)
        /// Line times, the date and time of day formatted once a second.
        var timestamps = TimestampText()

        package init() {}

        /// Makes `choice` the record's member for the field in `slot`.
        @inline(__always)
        mutating func choose(_ slot: Int, _ choice: Choice) {
            if chosen[slot].isNone {
                filled.append(slot)
                filledFields |= 1 << slot
            }
            chosen[slot] = choice
        }

        /// Empties the slots the last record filled.
        mutating func forgetChoices() {
            for slot in filled { chosen[slot] = .none }
            filled.removeAll(keepingCapacity: true)
            filledFields = 0
        }

        deinit {
            free.deallocate()
            line.deallocate()
            timestamps.deallocate()
            recordEngine?.deallocate()
            freeEngine?.deallocate()
        }
    }

    /// A field of the line outside the envelope: its value lies in the record at `value`, or in the workspace's
    /// `free` when `made`.
    struct Part {
        var field: FieldID
        var made: Bool
        var value: Range<Int>
    }

    enum Choice {
        case none
        case member(JSONReader.Member)
        /// A member that names the field only as a fallback (``ForeignVocabulary/Meaning/fallback(_:)``).
        case fallback(JSONReader.Member)
        /// A plain string sent as `error`: the error's message.
        case errorMessage(JSONReader.Member)

        var isNone: Bool {
            if case .none = self { true } else { false }
        }
    }

    /// The members of the object in `bytes`, or the refusal that says what is wrong with it.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, into members: inout [JSONReader.Member]
    ) throws(Refusal) {
        do throws(JSONParser.Error) {
            try JSONReader.members(of: bytes, maxDepth: maxDepth, into: &members)
        } catch {
            let reason =
                switch error.kind {
                case .syntax: "invalid_json"
                case .invalidUTF8: "invalid_utf8"
                case .tooDeep: "too_deep"
                case .unexpectedType: "not_an_object"
                }
            throw Refusal(reason, "\(error.reason) at byte \(error.offset)")
        }
    }

    /// Decides what each member of the record is: a canonical field (in `work.chosen`), part of the envelope
    /// (returned: the time and level it gives), or `context` (in `work.context`, in order).
    // swiftlint:disable:next function_body_length cyclomatic_complexity
    private func choose(
        _ object: UnsafeBufferPointer<UInt8>, tenant: String?, work: inout Workspace
    ) throws(Refusal) -> (timestamp: Int64?, level: Logger.Level?) {
        work.forgetChoices()
        for part in work.errorParts.indices { work.errorParts[part] = nil }
        work.context.removeAll(keepingCapacity: true)
        var timestamp: (value: Int64, member: JSONReader.Member, canonical: Bool)?
        var level: (value: Logger.Level, member: JSONReader.Member, canonical: Bool)?
        /// structlog's `event` is its message: an `event` that is not a dotted name, kept for a record without one.
        var eventText: JSONReader.Member?
        for (position, member) in work.members.enumerated() {
            let key = UnsafeBufferPointer(rebasing: object[member.key])
            let meaning: ForeignVocabulary.Meaning?
            var name: String?
            if member.keyEscaped {
                name = Self.string(object, member.key.lowerBound - 1..<member.key.upperBound + 1, escaped: true)
                meaning = ForeignVocabulary.meaning(of: name!)
            } else {
                meaning = work.meanings.meaning(of: key, at: position)
            }
            let field: FieldID
            var isFallback = false
            switch meaning {
            case nil:
                work.context.append(member)
                continue
            case .errorPart(let part):
                if work.errorParts[part.rawValue] == nil, member.kind == .string {
                    work.errorParts[part.rawValue] = member
                } else {
                    work.context.append(member)
                }
                continue
            case .field(let named): field = named
            case .fallback(let named):
                field = named
                isFallback = true
            }
            let slot = Int(field.rawValue)
            switch field {
            case .timestamp:
                // The canonical name beats an alias wherever it stands; the member that loses is kept under `context`.
                let canonical = Self.isCanonical(field, key: key, name: name)
                guard let time = Self.timestamp(object, member) else {
                    if canonical {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: object[member.value]), as: UTF8.self)
                        throw Refusal("invalid_timestamp", "invalid timestamp: \(text.prefix(64))")
                    }
                    work.context.append(member)
                    continue
                }
                Self.prefer((time, member, canonical), over: &timestamp, context: &work.context)
            case .level:
                let canonical = Self.isCanonical(field, key: key, name: name)
                guard let parsed = Self.level(object, member) else {
                    work.context.append(member)
                    continue
                }
                Self.prefer((parsed, member, canonical), over: &level, context: &work.context)
            case .context:
                guard member.kind == .object else {
                    work.context.append(member)
                    continue
                }
                // The sender's own context: its members join the others under `context`.
                work.nested.removeAll(keepingCapacity: true)
                let inner = UnsafeBufferPointer(rebasing: object[member.value])
                try Self.scan(inner, maxDepth: rules.maxDepth, into: &work.nested)
                let base = member.value.lowerBound
                for var nested in work.nested {
                    nested.key = nested.key.lowerBound + base..<nested.key.upperBound + base
                    nested.value = nested.value.lowerBound + base..<nested.value.upperBound + base
                    work.context.append(nested)
                }
            case .schemaVersion:
                // The version Keel writes, sent again (a Keel line re-sent), says nothing new; another goes under
                // `context`.
                let same = member.kind == .number && Self.schemaVersionText.withUnsafeBufferPointer { ByteSearch.equal(UnsafeBufferPointer(rebasing: object[member.value]), $0) }
                if !same { work.context.append(member) }
            case .tenantID where tenant != nil:
                var tenantText = tenant!
                let same =
                    member.kind == .string && !member.valueEscaped
                    && tenantText.withUTF8 { ByteSearch.equal(UnsafeBufferPointer(rebasing: object[member.value.lowerBound + 1..<member.value.upperBound - 1]), $0) }
                    || member.kind == .string && member.valueEscaped
                        && Self.string(object, member.value, escaped: true) == tenant
                if !same { work.context.append(member) }
            case .error:
                // A plain error string is the error's message.
                guard work.chosen[slot].isNone else {
                    work.context.append(member)
                    continue
                }
                if member.kind == .string {
                    work.choose(slot, .errorMessage(member))
                } else if Self.accepts(.error, member, in: object) {
                    work.choose(slot, .member(member))
                } else {
                    work.context.append(member)
                }
            default:
                guard !Self.senderCannotSet[slot], Self.accepts(field, member, in: object) else {
                    if field == .event, eventText == nil, member.kind == .string {
                        eventText = member
                    } else {
                        work.context.append(member)
                    }
                    continue
                }
                switch work.chosen[slot] {
                case .none:
                    work.choose(slot, isFallback ? .fallback(member) : .member(member))
                case .fallback(let weaker) where !isFallback:
                    // A better name for the field displaces the fallback, which is kept under `context`.
                    work.context.append(weaker)
                    work.choose(slot, .member(member))
                default:
                    work.context.append(member)
                }
            }
        }
        if let eventText {
            if work.chosen[Int(FieldID.message.rawValue)].isNone {
                work.choose(Int(FieldID.message.rawValue), .member(eventText))
            } else {
                work.context.append(eventText)
            }
        }
        // Parts of an error that was also sent whole stay under `context`; with a plain message they join it.
        if case .member = work.chosen[Int(FieldID.error.rawValue)] {
            for part in work.errorParts.indices {
                if let member = work.errorParts[part] { work.context.append(member) }
                work.errorParts[part] = nil
            }
        }
        return (timestamp?.value, level?.value)
    }

    /// Keeps `candidate` as the record's value of an envelope field unless one is already chosen and the candidate
    /// does not improve on it (only the canonical name beats an alias); the member that loses goes under `context`.
    private static func prefer<Value>(
        _ candidate: (value: Value, member: JSONReader.Member, canonical: Bool),
        over chosen: inout (value: Value, member: JSONReader.Member, canonical: Bool)?,
        context: inout [JSONReader.Member]
    ) {
        guard let current = chosen else {
            chosen = candidate
            return
        }
        if candidate.canonical && !current.canonical {
            context.append(current.member)
            chosen = candidate
        } else {
            context.append(candidate.member)
        }
    }

    /// Whether a member named `field` by its canonical name rather than an alias.
    private static func isCanonical(_ field: FieldID, key: UnsafeBufferPointer<UInt8>, name: String?) -> Bool {
        guard var name else { return ByteSearch.equal(key, names[Int(field.rawValue)]) }
        return name.withUTF8 { ByteSearch.equal($0, names[Int(field.rawValue)]) }
    }

    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

    /// Lists, in `work.parts`, every field of the line outside the envelope, in canonical order (then `context`),
    /// with where its value lies; values made here are written into `work.free`.
    private func gather(_ object: UnsafeBufferPointer<UInt8>, tenant: String?, work: inout Workspace) {
        work.free.removeAll()
        work.parts.removeAll(keepingCapacity: true)
        // The fields the record gave, `event` (which every line has), `error` and the defaults, which may be made.
        var fields = (work.filledFields | Self.alwaysConsidered | defaultFields) & outsideEnvelope
        if tenant != nil { fields &= ~(1 << FieldID.tenantID.rawValue) }
        while fields != 0 {
            let field = FieldID.unchecked(UInt8(fields.trailingZeroBitCount))
            fields &= fields &- 1
            let start = work.free.count
            switch work.chosen[Int(field.rawValue)] {
            case .member(let member), .fallback(let member):
                work.parts.append(Part(field: field, made: false, value: member.value))
                continue
            case .errorMessage(let member):
                Self.writeError(object, message: member, work: &work)
            case .none:
                if field == .event {
                    work.free.append("\"log\"")
                } else if field == .error, work.errorParts.contains(where: { $0 != nil }) {
                    Self.writeError(object, message: nil, work: &work)
                } else if hasDefaults, let value = defaults[Int(field.rawValue)] {
                    work.free.appendJSONString(value)
                } else {
                    continue
                }
            }
            work.parts.append(Part(field: field, made: true, value: start..<work.free.count))
        }
        if !work.context.isEmpty {
            let start = work.free.count
            work.free.append(UInt8(ascii: "{"))
            for (n, member) in work.context.enumerated() {
                if n > 0 { work.free.append(UInt8(ascii: ",")) }
                work.free.append(UnsafeBufferPointer(rebasing: object[member.key.lowerBound - 1..<member.key.upperBound + 1]))
                work.free.append(UInt8(ascii: ":"))
                work.free.append(UnsafeBufferPointer(rebasing: object[member.value]))
            }
            work.free.append(UInt8(ascii: "}"))
            work.parts.append(Part(field: .context, made: true, value: start..<work.free.count))
        }
    }

    /// Fields that ``gather(_:tenant:work:)`` looks at even when the record did not give them.
    private static let alwaysConsidered: UInt64 = 1 << FieldID.event.rawValue | 1 << FieldID.error.rawValue

    /// `{…}`, the error from the parts sent flat, with `message` (a plain `error` string) before a flat message.
    private static func writeError(_ object: UnsafeBufferPointer<UInt8>, message: JSONReader.Member?, work: inout Workspace) {
        work.free.append(UInt8(ascii: "{"))
        var first = true
        for part in ForeignVocabulary.ErrorPart.allCases {
            let member = part == .message ? message ?? work.errorParts[part.rawValue] : work.errorParts[part.rawValue]
            guard let member else { continue }
            if !first { work.free.append(UInt8(ascii: ",")) }
            first = false
            work.free.appendJSONString(part.name)
            work.free.append(UInt8(ascii: ":"))
            work.free.append(UnsafeBufferPointer(rebasing: object[member.value]))
        }
        if message != nil, let flat = work.errorParts[ForeignVocabulary.ErrorPart.message.rawValue] {
            // Both a plain `error` and a flat message: the second is kept, under `context`, not lost.
            work.context.append(flat)
        }
        work.free.append(UInt8(ascii: "}"))
    }

    /// The canonical line, in the library's key order: the envelope made here, the other fields redacted from where
    /// their values lie (``RedactionEngine/member(_:valueAt:to:)``, as the engine redacts an object's members);
    /// and the fields stores index, read from it. A field's name is the schema's: never redacted, and never a secret
    /// or a body by the key rules (``KeyRules``).
    // swiftlint:disable:next function_body_length
    private func assemble(
        _ object: UnsafeBufferPointer<UInt8>, time: Int64, level: Logger.Level, eventID: String, tenant: String?, indexing: Bool,
        work: inout Workspace
    ) throws(Refusal) -> Normalized {
        // `work.free` is not written while the engine reads it.
        let free = work.free.withUnsafeBytes { $0.bindMemory(to: UInt8.self) }
        let maxDepth = rules.maxDepth + 2
        // The workspace's engines, when they are this normaliser's: made once, not for every record, and used where
        // they are (a copy of one is a copy of all its references).
        Self.prepare(&work.recordEngine, of: redactor, on: object, maxDepth: maxDepth)
        Self.prepare(&work.freeEngine, of: redactor, on: free, maxDepth: maxDepth)
        var types: [RedactionType] = []
        func note(_ found: some Collection<RedactionType>) {
            for type in found where !types.contains(type) { types.append(type) }
        }
        var result = Normalized(time: time, level: level, eventID: eventID)
        let parts = work.parts
        work.line.removeAll()
        work.line.append("{\"timestamp\":\"")
        work.timestamps.append(Timestamp(microsecondsSinceEpoch: time), to: &work.line)
        work.line.append("\",\"level\":")
        work.line.appendJSONString(level.canonicalName)
        // The fields made here go between the record's, each at its place in canonical order.
        let made = tenant != nil ? Self.madeWithTenant : Self.madeWithoutTenant
        var nextMade = 0
        for part in parts {
            while nextMade < made.count, made[nextMade] < part.field {
                appendMade(made[nextMade], eventID: eventID, tenant: tenant, types: types, to: &work)
                nextMade += 1
            }
            let field = part.field
            work.line.append(UInt8(ascii: ","))
            appendKey(field, to: &work.line)
            let start = work.line.count
            do throws(JSONParser.Error) {
                let found =
                    part.made
                    ? try Self.redact(part, with: &work.freeEngine!, to: &work.line)
                    : try Self.redact(part, with: &work.recordEngine!, to: &work.line)
                note(found)
            } catch {
                throw Refusal("invalid_event", "the event could not be redacted (\(error.description))")
            }
            // The fields stores index and routers read, as text.
            if indexing { Self.index(field, at: start..<work.line.count, of: work.line, into: &result) }
        }
        for field in made[nextMade...] {
            appendMade(field, eventID: eventID, tenant: tenant, types: types, to: &work)
        }
        work.line.append(UInt8(ascii: "}"))
        if work.line.count > rules.maxLineBytes {
            throw Refusal(
                "line_too_long", "an event is \(work.line.count) bytes once canonical; the limit is \(rules.maxLineBytes)",
                isTooLarge: true)
        }
        return result
    }

    /// The fields a line gets from the normaliser rather than the record, in canonical order: with the tenant
    /// assigned by the caller or not. `redacted` is written only when something was.
    private static let madeWithTenant: [FieldID] = [.schemaVersion, .eventID, .tenantID, .redacted]
    private static let madeWithoutTenant: [FieldID] = [.schemaVersion, .eventID, .redacted]

    /// Writes `,"name":value` of a field made here (one of ``madeWithTenant``) into the workspace's line.
    private func appendMade(_ field: FieldID, eventID: String, tenant: String?, types: [RedactionType], to work: inout Workspace) {
        if field == .redacted, types.isEmpty { return }
        work.line.append(UInt8(ascii: ","))
        appendKey(field, to: &work.line)
        switch field {
        case .schemaVersion:
            Self.schemaVersionText.withUnsafeBufferPointer { work.line.append($0) }
        case .eventID:
            work.line.appendJSONString(eventID)
        case .tenantID:
            work.line.appendJSONString(tenant ?? "")
        default:  // .redacted
            work.line.append(UInt8(ascii: "["))
            for (n, type) in types.enumerated() {
                if n > 0 { work.line.append(UInt8(ascii: ",")) }
                work.line.appendJSONString(type.name)
            }
            work.line.append(UInt8(ascii: "]"))
        }
    }

    /// Makes `engine` ready for a record's `bytes`: restarted when it is `redactor`'s, made anew otherwise.
    private static func prepare(
        _ engine: inout RedactionEngine?, of redactor: Redactor, on bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int
    ) {
        if engine?.serves(redactor) == true {
            engine!.restart(on: bytes, maxDepth: maxDepth)
        } else {
            engine?.deallocate()
            engine = RedactionEngine(redactor: redactor, bytes: bytes, maxDepth: maxDepth)
        }
    }

    /// Writes `part`'s value, redacted by `engine` (whose text holds it), to `line`; returns what that removed which
    /// the engine had not removed before in this record.
    private static func redact(
        _ part: Part, with engine: inout RedactionEngine, to line: inout OutputBuffer
    ) throws(JSONParser.Error) -> ArraySlice<RedactionType> {
        let known = engine.types.count
        try engine.member(part.field, valueAt: part.value.lowerBound, to: &line)
        return engine.types[known...]
    }

    /// Reads, into `result`, the value of `field` written at `range` of `line` when it is one that stores index and
    /// routers read as text.
    private static func index(_ field: FieldID, at range: Range<Int>, of line: OutputBuffer, into result: inout Normalized) {
        switch field {
        case .message, .event, .errorCode, .storageClass, .requestID, .traceID, .runID, .userID: break
        default: return
        }
        line.withUnsafeBytes { raw in
            let written = raw.bindMemory(to: UInt8.self)
            guard written[range.lowerBound] == UInt8(ascii: "\"") else { return }
            // Whether the written string holds an escape: read only for the few fields decoded here.
            let text = string(written, range, escaped: written[range].contains(0x5C))
            switch field {
            case .message: result.message = text
            case .event: result.event = text
            case .errorCode: result.errorCode = text
            case .storageClass: result.storageClass = StorageClass(name: text) ?? .ops
            case .requestID: result.requestID = nonEmpty(text)
            case .traceID: result.traceID = nonEmpty(text)
            case .runID: result.runID = nonEmpty(text)
            default: result.userID = nonEmpty(text)
            }
        }
    }
}
