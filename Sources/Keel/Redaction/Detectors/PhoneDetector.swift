/// Phone numbers: E.164 (`+44 20 7946 0958`, `+1-616-713-4546`, `+49 (0) 1278 932659`) and national formats
/// written with separators (`(290)500-7906`, `070-8128-9367`, `06 30 19 96 07`, `570.866.3544`, `(05055) 865481`),
/// plus French ten-digit numbers written solid (`0497408342`).
///
/// To leave ids, versions, dates and times alone a match needs a `+` and 8–15 digits, or 10–13 digits in at least
/// two groups (or one group in parentheses); plain digit runs (order ids, epoch seconds), dates (`2024-07-03 09`),
/// and `AAA-GG-SSSS` shapes are never phones.
enum PhoneDetector {
    static func scan(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        // Anchored on digits (found eight bytes at a time); a number starts at its first digit, at a `(` right
        // before it, or at a `+` up to two separators or parentheses before it (`+44`, `+(0)`, `+ 44`).
        var digit = s.nextDigit(from: 0)
        while digit < s.count {
            var i = digit
            if s.before(digit) == 0x28 { i = digit - 1 }
            var k = digit - 1
            while k >= 0, digit - k <= 3, Self.mayLeadDigits(s[k]) {
                if s[k] == 0x2B {
                    i = k
                    break
                }
                k -= 1
            }
            guard !ByteClass.isWord(s.before(i)), s.before(i) != 0x2E, s.before(i) != 0x2D, s.before(i) != 0x2B else {
                // Glued to a word or another number: past this run of digits.
                var j = digit
                while j < s.count, ByteClass.isDigit(s[j]) { j += 1 }
                digit = s.nextDigit(from: j)
                continue
            }
            let (end, isPhone) = match(s, from: i)
            if isPhone {
                findings.append(Finding(start: i, end: end, type: .phone))
            }
            // Past everything this candidate took in: its later groups are not numbers of their own.
            digit = s.nextDigit(from: max(end, digit + 1))
        }
    }

    /// `+`, `(` and the separators that may stand between a `+` and the first digit.
    @inline(__always)
    private static func mayLeadDigits(_ b: UInt8) -> Bool {
        b == 0x2B || b == 0x28 || b == 0x20 || b == 0x2D || b == 0x2E || b == 0x2F
    }

    /// Where the number-like run starting at `start` ends, and whether it is a phone number.
    static func match(_ s: UnsafeBufferPointer<UInt8>, from start: Int) -> (end: Int, isPhone: Bool) {
        let (end, isPhone) = measure(s, from: start)
        return (end, isPhone)
    }

    private static func measure(_ s: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, Bool) {
        var j = start
        let plus = s[j] == 0x2B
        if plus { j += 1 }
        // The sizes of the first three groups and how many there are; separators seen, as bits (space, -, ., /).
        var groupCount = 0
        var firstGroups = (0, 0, 0)
        func addGroup(_ n: Int) {
            switch groupCount {
            case 0: firstGroups.0 = n
            case 1: firstGroups.1 = n
            case 2: firstGroups.2 = n
            default: break
            }
            groupCount += 1
        }
        var digits = 0
        var parenthesised = false
        var separators: UInt8 = 0
        func separatorBit(_ b: UInt8) -> UInt8 {
            switch b {
            case 0x20: 1
            case 0x2D: 2
            case 0x2E: 4
            default: 8
            }
        }
        var end = j
        var firstDigit: UInt8 = 0
        while j < s.count {
            let b = s[j]
            if ByteClass.isDigit(b) {
                var n = 0
                while j < s.count, ByteClass.isDigit(s[j]) {
                    if digits == 0 { firstDigit = s[j] }
                    n += 1
                    digits += 1
                    j += 1
                }
                addGroup(n)
                end = j
            } else if b == 0x28 {  // "(" group ")"
                var k = j + 1
                var n = 0
                while k < s.count, ByteClass.isDigit(s[k]) {
                    if digits + n == 0 { firstDigit = s[k] }
                    n += 1
                    k += 1
                }
                guard n >= 1, n <= 5, k < s.count, s[k] == 0x29 else { break }
                parenthesised = true
                digits += n
                addGroup(n)
                j = k + 1
                end = j
            } else if (b == 0x20 || b == 0x2D || b == 0x2E || b == 0x2F), j + 1 < s.count,
                ByteClass.isDigit(s[j + 1]) || s[j + 1] == 0x28
            {
                separators |= separatorBit(b)
                j += 1
            } else if b == 0x25, s.matches("%20", at: j), j + 3 < s.count, ByteClass.isDigit(s[j + 3]) {
                separators |= 1
                j += 3
            } else {
                break
            }
            if digits > 15 {
                while j < s.count, ByteClass.isDigit(s[j]) || s[j] == 0x20 || s[j] == 0x2D { j += 1 }
                return (j, false)
            }
        }
        guard !ByteClass.isWord(s.at(end)), !(s.at(end) == 0x2E && ByteClass.isDigit(s.at(end + 1))) else {
            return (end, false)
        }
        // Dates and times are not phones: 2024-07-03, 03.07.2024, 2024/07/03.
        if !plus, groupCount >= 3,
            (firstGroups.0 == 4 && firstGroups.1 == 2) || (firstGroups.0 == 2 && firstGroups.1 == 2 && firstGroups.2 == 4)
        {
            return (end, false)
        }
        if separators == 4 && groupCount != 3 { return (end, false) }  // dots alone: versions, unless 3 groups
        if plus { return (end, (8...15).contains(digits) && groupCount >= 1) }
        if groupCount == 1 {
            // National numbers written solid start with a trunk 0 (French, German): ten or eleven digits.
            // Ids, order numbers and epoch seconds do not start with 0.
            return (end, !parenthesised && (10...11).contains(digits) && firstDigit == 0x30)
        }
        if groupCount == 3, firstGroups == (3, 2, 4) { return (end, false) }  // the shape of an SSN, valid or not
        return (end, (10...13).contains(digits) || (parenthesised && (9...13).contains(digits)))
    }
}
