/// Numbers that identify a person or an account, each validated so that ids, order numbers, timestamps and
/// versions are left alone: payment cards (Luhn), US social security numbers (SSA rules), IBANs (mod-97).
package enum NumberDetectors {
    /// Payment cards: 13–19 digits, optionally grouped by single spaces or hyphens, passing the Luhn check.
    static func scanCards(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var i = s.nextDigit(from: 0)
        while i < s.count {
            guard !ByteClass.isWord(s.before(i)) else {
                while i < s.count, ByteClass.isDigit(s[i]) { i += 1 }
                i = s.nextDigit(from: i)
                continue
            }
            var digits = 0
            var j = i
            var end = i
            while j < s.count {
                let b = s[j]
                if ByteClass.isDigit(b) {
                    digits += 1
                    j += 1
                    end = j
                } else if (b == 0x20 || b == 0x2D), j + 1 < s.count, ByteClass.isDigit(s[j + 1]), digits > 0 {
                    j += 1
                } else {
                    break
                }
                if digits > 19 { break }
            }
            if (13...19).contains(digits), !ByteClass.isWord(s.at(end)), luhn(UnsafeBufferPointer(rebasing: s[i..<end])) {
                findings.append(Finding(start: i, end: end, type: .creditCard))
                i = end
            } else {
                // Skip this run of digits.
                while i < s.count, ByteClass.isDigit(s[i]) { i += 1 }
            }
            i = s.nextDigit(from: i)
        }
    }

    /// The Luhn check over the digits of `text` (other bytes are skipped), without copying them.
    static func luhn(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var sum = 0
        var k = 0
        var i = text.count - 1
        while i >= 0 {
            let b = text[i]
            i -= 1
            guard ByteClass.isDigit(b) else { continue }
            var v = Int(b &- 0x30)
            if k & 1 == 1 {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
            k += 1
        }
        return sum % 10 == 0
    }

    /// Whether a JSON number's text is a payment card number: 13–19 digits passing Luhn.
    package static func isCardNumber(_ number: String) -> Bool {
        var text = number
        return text.withUTF8 { isCardNumber($0) }
    }

    /// Whether the text of a JSON number is a valid payment card number.
    static func isCardNumber(_ digits: UnsafeBufferPointer<UInt8>) -> Bool {
        (13...19).contains(digits.count) && digits.allSatisfy(ByteClass.isDigit) && luhn(digits)
    }

    /// US SSNs written `AAA-GG-SSSS`: area not 000, 666 or 9xx; group not 00; serial not 0000.
    static func scanSSNs(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        guard s.count >= 11 else { return }
        // Anchored on the first dash, three bytes in.
        var dash = s.next(0x2D, from: 3)
        while dash + 8 <= s.count {
            let i = dash - 3
            defer { dash = s.next(0x2D, from: dash + 1) }
            guard ByteClass.isDigit(s[i]), s[i + 6] == 0x2D, !ByteClass.isWord(s.before(i)),
                s.before(i) != 0x2D, !ByteClass.isWord(s.at(i + 11)), s.at(i + 11) != 0x2D
            else { continue }
            guard ByteClass.isDigit(s[i + 1]), ByteClass.isDigit(s[i + 2]), ByteClass.isDigit(s[i + 4]),
                ByteClass.isDigit(s[i + 5]), ByteClass.isDigit(s[i + 7]), ByteClass.isDigit(s[i + 8]),
                ByteClass.isDigit(s[i + 9]), ByteClass.isDigit(s[i + 10])
            else { continue }
            func num(_ a: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 * 10 + Int(s[i + a + $1] &- 0x30) } }
            let area = num(0, 3)
            let group = num(4, 2)
            let serial = num(7, 4)
            guard area != 0, area != 666, area < 900, group != 0, serial != 0 else { continue }
            findings.append(Finding(start: i, end: i + 11, type: .usSSN))
        }
    }

    /// IBANs: country code, two check digits, 11–30 letters and digits, optionally in groups of four; mod-97 valid.
    static func scanIBANs(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        guard s.count >= 15 else { return }
        // Anchored on the country code's first letter, found eight bytes at a time: upper-case letters are rare.
        var i = s.nextUpper(from: 0)
        while i + 15 <= s.count {
            guard ByteClass.isUpper(s[i + 1]), ByteClass.isDigit(s[i + 2]), ByteClass.isDigit(s[i + 3]),
                !ByteClass.isWord(s.before(i))
            else {
                i = s.nextUpper(from: i + 1)
                continue
            }
            var chars: [UInt8] = [s[i], s[i + 1], s[i + 2], s[i + 3]]
            var j = i + 4
            var end = j
            while j < s.count, chars.count < 34 {
                let b = s[j]
                if ByteClass.isDigit(b) || ByteClass.isUpper(b) {
                    chars.append(b)
                    j += 1
                    end = j
                } else if b == 0x20, j + 1 < s.count, ByteClass.isAlnum(s[j + 1]), (chars.count % 4) == 0 {
                    j += 1
                } else {
                    break
                }
            }
            if chars.count >= 15, !ByteClass.isWord(s.at(end)), mod97(chars) {
                findings.append(Finding(start: i, end: end, type: .iban))
                i = s.nextUpper(from: end)
            } else {
                i = s.nextUpper(from: i + 1)
            }
        }
    }

    static func mod97(_ chars: [UInt8]) -> Bool {
        var remainder = 0
        for b in chars[4...] + chars[0..<4] {
            if ByteClass.isDigit(b) {
                remainder = (remainder * 10 + Int(b &- 0x30)) % 97
            } else {
                remainder = (remainder * 100 + Int(b &- 0x41) + 10) % 97
            }
        }
        return remainder == 1
    }
}
