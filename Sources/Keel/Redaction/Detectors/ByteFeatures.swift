/// Which built-in detectors could match a string, decided from one cheap pass over its bytes so that most detectors
/// never run.
///
/// The pass reads a table entry per byte: its low 16 bits are class bits (ORed together), the rest five 9-bit
/// counters (digits, colons, dots, upper-case letters, dashes) that are added, about five instructions a byte. What it
/// derives are necessary conditions of each detector, never sufficient ones: a detector still checks what it finds.
struct ByteFeatures {
    static let digitBit: UInt16 = 1 << 0, atBit: UInt16 = 1 << 1, plusBit: UInt16 = 1 << 2
    static let equalsBit: UInt16 = 1 << 5, queryBit: UInt16 = 1 << 6
    static let spaceBit: UInt16 = 1 << 8, underscoreBit: UInt16 = 1 << 9
    static let slashBit: UInt16 = 1 << 10, prefixLetterBit: UInt16 = 1 << 11, jBit: UInt16 = 1 << 12
    static let bBit: UInt16 = 1 << 13
    /// Digits and what may join them inside one number (space, `-`, `.`, `/`, parentheses, `+`, `%`).
    static let numberBit: UInt16 = 1 << 14
    /// Bytes of multi-byte UTF-8 sequences (and invalid ones): text that is not plain ASCII.
    static let nonASCIIBit: UInt16 = 1 << 15
    /// ASCII bytes a JSON string must escape (`"`, `\`, controls, DEL), in the table's top bit: above the counter
    /// lanes, so adding it up never disturbs them.
    static let escapeFlag: UInt64 = 1 << 63

    /// Counter lanes, 9 bits each, stored above the 16 class bits; a chunk of at most `laneLimit` bytes cannot
    /// overflow one.
    private static let laneMask: UInt64 = 0x1FF
    private static let digitLane: UInt64 = 0, colonLane: UInt64 = 9, dotLane: UInt64 = 18, upperLane: UInt64 = 27
    private static let dashLane: UInt64 = 36
    private static let laneLimit = 511

    static let table: [UInt64] = (0..<256).map { b in
        var bits: UInt16 = 0
        var counts: UInt64 = 0
        switch b {
        case 0x30...0x39: bits = digitBit; counts = 1 << digitLane
        case 0x40: bits = atBit
        case 0x2B: bits = plusBit
        case 0x2D: counts = 1 << dashLane
        case 0x2E: counts = 1 << dotLane
        case 0x3A: counts = 1 << colonLane
        case 0x3D: bits = equalsBit
        case 0x3F, 0x26: bits = queryBit
        case 0x41...0x5A: counts = 1 << upperLane
        case 0x20: bits = spaceBit
        case 0x5F: bits = underscoreBit
        case 0x2F: bits = slashBit
        case 0x80...0xFF: bits = nonASCIIBit
        default: break
        }
        // First letters of vendor prefixes (ghp_, glpat-, xoxb-, sk-, rk_, whsec_, AIza); of Bearer/Basic.
        if [0x67, 0x78, 0x73, 0x72, 0x77, 0x41].contains(b) { bits |= prefixLetterBit }
        if b == 0x62 || b == 0x42 { bits |= bBit }
        if b == 0x4A { bits |= jBit }
        if (0x30...0x39).contains(b) || [0x20, 0x2D, 0x2E, 0x2F, 0x28, 0x29, 0x2B, 0x25].contains(b) { bits |= numberBit }
        let escape = b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F ? escapeFlag : 0
        return UInt64(bits) | counts << 16 | escape
    }

    /// The class bits of every byte ORed together (bits 16 and up are not meaningful, except ``escapeFlag``).
    let mask: UInt64
    let count: Int
    let digits: Int
    let colons: Int
    let dots: Int
    let uppers: Int
    let dashes: Int

    @inline(__always)
    init(_ s: UnsafeBufferPointer<UInt8>) {
        self = Self.scan(s, from: 0, stoppingAtEscapes: false).features
    }

    /// Reads `s` from `start` up to its end, or — when `stoppingAtEscapes` — up to the first byte a JSON string must
    /// escape (`"`, `\`, a control character): the JSON reader finds the end of a string and its features in the same
    /// pass. Returns where it stopped and the features of the bytes before that.
    @inline(__always)
    static func scan(
        _ s: UnsafeBufferPointer<UInt8>, from start: Int, stoppingAtEscapes: Bool
    ) -> (stop: Int, features: ByteFeatures) {
        var mask: UInt64 = 0
        var digits = 0, colons = 0, dots = 0, uppers = 0, dashes = 0
        var i = start
        table.withUnsafeBufferPointer { table in
            var stopped = false
            while i < s.count, !stopped {
                let end = Swift.min(s.count, i &+ laneLimit)
                var lanes: UInt64 = 0
                while i < end {
                    let entry = table[Int(s[i])]
                    if stoppingAtEscapes, entry & escapeFlag != 0 {
                        stopped = true
                        break
                    }
                    mask |= entry
                    lanes &+= entry &>> 16
                    i &+= 1
                }
                digits &+= Int(truncatingIfNeeded: (lanes &>> digitLane) & laneMask)
                colons &+= Int(truncatingIfNeeded: (lanes &>> colonLane) & laneMask)
                dots &+= Int(truncatingIfNeeded: (lanes &>> dotLane) & laneMask)
                uppers &+= Int(truncatingIfNeeded: (lanes &>> upperLane) & laneMask)
                dashes &+= Int(truncatingIfNeeded: (lanes &>> dashLane) & laneMask)
            }
        }
        let features = ByteFeatures(
            mask: mask, count: i - start, digits: digits, colons: colons, dots: dots, uppers: uppers, dashes: dashes)
        return (i, features)
    }

    private init(mask: UInt64, count: Int, digits: Int, colons: Int, dots: Int, uppers: Int, dashes: Int) {
        self.mask = mask
        self.count = count
        self.digits = digits
        self.colons = colons
        self.dots = dots
        self.uppers = uppers
        self.dashes = dashes
    }

    @inline(__always) func has(_ bit: UInt16) -> Bool { mask & UInt64(bit) != 0 }

    /// Whether every byte is ASCII (so the text is valid UTF-8 without further checking).
    @inline(__always) var isASCII: Bool { !has(Self.nonASCIIBit) }

    /// Whether some byte must be escaped in a JSON string (`"`, `\\`, a control character, DEL).
    @inline(__always) var hasEscapes: Bool { mask & Self.escapeFlag != 0 }

    /// Whether the bytes can go into a JSON string as they are: ASCII with nothing to escape.
    @inline(__always) var isPlainJSON: Bool { isASCII && mask & Self.escapeFlag == 0 }

    /// The detectors whose necessary conditions hold. Reads the bytes again only for strings with enough digits
    /// for a phone number (to measure the longest run of them).
    @inline(__always)
    func candidates(in s: UnsafeBufferPointer<UInt8>) -> DetectorSet {
        var set = DetectorSet(rawValue: 0)
        let n = count
        if has(Self.atBit), dots >= 1 { set.insert(.email) }
        // `-----BEGIN PRIVATE KEY`: five dashes, 22 bytes.
        if dashes >= 5, n >= 22 { set.insert(.privateKey) }
        // `eyJ…` needs a `J` and a dot.
        if has(Self.jBit), dots >= 1 { set.insert(.jwt) }
        // `Bearer x` and `Basic x` need a space and a `b`.
        if has(Self.spaceBit), has(Self.bBit) { set.insert(.authorizationScheme) }
        // Every vendor prefix has `_` or `-` in it, except `AIza`; the shortest key is `xoxb-` and ten characters.
        if has(Self.prefixLetterBit), n >= 15, has(Self.underscoreBit) || dashes > 0 || uppers > 0 {
            set.insert(.vendorKey)
        }
        // `AKIA` and sixteen upper-case letters or digits.
        if uppers >= 4, n >= 20 { set.insert(.awsAccessKey) }
        if (colons > 0 && has(Self.slashBit)) || has(Self.queryBit) { set.insert(.urlCredentials) }
        if has(Self.equalsBit) || colons > 0 { set.insert(.inlineSecret) }
        // Eight groups have seven colons; fewer need `::` (and no digits at all: `::1`, `fe80::a`).
        if colons >= 7 || (colons >= 2 && Self.containsDoubleColon(s)) { set.insert(.ipv6) }
        // One solid number longer than any card or phone (a 26-digit request id, say) is none of the rest.
        guard digits >= 4, !(digits == n && n > 19) else { return set }
        if dots >= 3 { set.insert(.ipv4) }
        if uppers >= 2, digits >= 11, n >= 15 { set.insert(.iban) }
        // Phones need 9 digits, or 8 after a `+`; SSNs 9; cards 13.
        guard digits >= 9 || (digits == 8 && has(Self.plusBit)) else { return set }
        let run = digits == n ? n : Self.longestNumberRun(s, digits: digits)
        // With a `+`, 8 digits; otherwise 10, or 9 with a group in parentheses.
        if run >= 9 || (run >= 8 && has(Self.plusBit)) { set.insert(.phone) }
        if run >= 9, dashes >= 2 { set.insert(.usSSN) }
        if run >= 13 { set.insert(.creditCard) }
        return set
    }

    /// Jumps from colon to colon (a timestamp has two, and no `::`).
    private static func containsDoubleColon(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = s.next(0x3A, from: 0)
        while i &+ 1 < s.count {
            if s[i &+ 1] == 0x3A { return true }
            i = s.next(0x3A, from: i &+ 2)
        }
        return false
    }

    /// The most digits in one run joined only by separators a number can contain: letters and other characters end
    /// a run. Cards need 13, phones 8, SSNs 9. Jumps from digit to digit eight bytes at a time; stops early once a
    /// run is long enough for every detector, or once the `digits` not yet seen are too few for a run of 8 (the
    /// shortest any detector needs), so a result below 8 only means "shorter than 8".
    private static func longestNumberRun(_ s: UnsafeBufferPointer<UInt8>, digits: Int) -> Int {
        table.withUnsafeBufferPointer { table in
            var longest = 0
            var unseen = digits
            var i = s.nextDigit(from: 0)
            while i < s.count, unseen >= 8 {
                var run = 0
                while i < s.count {
                    let entry = table[Int(s[i])]
                    guard entry & UInt64(numberBit) != 0 else { break }
                    run &+= Int(truncatingIfNeeded: entry & UInt64(digitBit))
                    i &+= 1
                }
                longest = Swift.max(longest, run)
                if longest >= 13 { break }
                unseen &-= run
                i = s.nextDigit(from: i)
            }
            return longest
        }
    }
}

/// The built-in detectors, as bits.
struct DetectorSet: OptionSet {
    let rawValue: UInt16
    static let email = DetectorSet(rawValue: 1 << 0)
    static let privateKey = DetectorSet(rawValue: 1 << 1)
    static let jwt = DetectorSet(rawValue: 1 << 2)
    static let authorizationScheme = DetectorSet(rawValue: 1 << 3)
    static let vendorKey = DetectorSet(rawValue: 1 << 4)
    static let awsAccessKey = DetectorSet(rawValue: 1 << 5)
    static let urlCredentials = DetectorSet(rawValue: 1 << 6)
    static let inlineSecret = DetectorSet(rawValue: 1 << 7)
    static let ipv6 = DetectorSet(rawValue: 1 << 8)
    static let ipv4 = DetectorSet(rawValue: 1 << 9)
    static let iban = DetectorSet(rawValue: 1 << 10)
    static let phone = DetectorSet(rawValue: 1 << 11)
    static let usSSN = DetectorSet(rawValue: 1 << 12)
    static let creditCard = DetectorSet(rawValue: 1 << 13)

    /// The detectors a policy runs.
    init(enabledBy policy: RedactionPolicy) {
        self = []
        let byType: [(RedactionType, DetectorSet)] = [
            (.email, .email), (.privateKey, .privateKey), (.jwt, .jwt), (.bearerToken, .authorizationScheme),
            (.basicCredentials, .authorizationScheme), (.githubToken, .vendorKey), (.gitlabToken, .vendorKey),
            (.slackToken, .vendorKey), (.stripeKey, .vendorKey), (.openAIKey, .vendorKey), (.anthropicKey, .vendorKey),
            (.googleAPIKey, .vendorKey), (.awsAccessKey, .awsAccessKey), (.urlCredentials, .urlCredentials),
            (.inlineSecret, .inlineSecret), (.ipv6, .ipv6), (.ipv4, .ipv4), (.iban, .iban), (.phone, .phone),
            (.usSSN, .usSSN), (.creditCard, .creditCard),
        ]
        for (type, detector) in byType where policy.runs(type) { insert(detector) }
    }

    init(rawValue: UInt16) { self.rawValue = rawValue }
}
