/// E-mail addresses: `local@domain.tld`, with a dotted domain and an alphabetic top-level domain.
enum EmailDetector {
    @inline(__always) static func isLocal(_ b: UInt8) -> Bool {
        ByteClass.isAlnum(b) || b == 0x2E || b == 0x5F || b == 0x25 || b == 0x2B || b == 0x2D || b == 0x27
    }
    @inline(__always) static func isDomain(_ b: UInt8) -> Bool { ByteClass.isAlnum(b) || b == 0x2E || b == 0x2D }

    static func scan(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var i = s.next(0x40, from: 0)  // "@"
        while i < s.count {
            var start = i
            while start > 0, isLocal(s[start - 1]) { start -= 1 }
            while start < i, s[start] == 0x2E { start += 1 }  // a local part does not start with "."
            var end = i + 1
            var lastDot = -1
            while end < s.count, isDomain(s[end]) {
                if s[end] == 0x2E { lastDot = end }
                end += 1
            }
            // Trailing dots and hyphens belong to the sentence, not the domain.
            while end > i + 1, s[end - 1] == 0x2E || s[end - 1] == 0x2D {
                end -= 1
                if lastDot >= end { lastDot = -1; for k in (i + 1)..<end where s[k] == 0x2E { lastDot = k } }
            }
            if start < i, lastDot > i + 1, end - lastDot - 1 >= 2,
                (lastDot + 1..<end).allSatisfy({ ByteClass.isAlpha(s[$0]) })
            {
                findings.append(Finding(start: start, end: end, type: .email))
                i = s.next(0x40, from: end)
            } else {
                i = s.next(0x40, from: i + 1)
            }
        }
    }
}
