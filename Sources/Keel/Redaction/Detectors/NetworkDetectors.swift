/// IP addresses: IPv4 dotted quads with every octet ≤ 255, IPv6 in full or compressed (`::`) form. Times
/// (`09:01:32`), MAC addresses and versions are not matched. Loopback and unspecified addresses (127.0.0.0/8,
/// 0.0.0.0, `::1`) name no one and are kept: a server's "listening on 127.0.0.1:8080" stays readable.
enum NetworkDetectors {
    /// Anchored on the dots: the digits before each one are tried as the first octet.
    static func scanIPv4(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var dot = s.next(0x2E, from: 0)
        var resume = 0
        while dot < s.count {
            var i = dot
            while i > 0, dot - i < 3, ByteClass.isDigit(s[i - 1]) { i -= 1 }
            guard i < dot, i >= resume, !ByteClass.isWord(s.before(i)), s.before(i) != 0x2E else {
                dot = s.next(0x2E, from: dot + 1)
                continue
            }
            var j = i
            var octets = 0
            var valid = true
            while octets < 4 {
                var value = 0
                var n = 0
                while j < s.count, ByteClass.isDigit(s[j]), n < 4 {
                    value = value * 10 + Int(s[j] &- 0x30)
                    n += 1
                    j += 1
                }
                if n == 0 || n > 3 || value > 255 {
                    valid = false
                    break
                }
                octets += 1
                if octets < 4 {
                    guard j < s.count, s[j] == 0x2E else {
                        valid = false
                        break
                    }
                    j += 1
                }
            }
            let glued = ByteClass.isWord(s.at(j)) || (s.at(j) == 0x2E && ByteClass.isDigit(s.at(j + 1)))
            if valid && octets == 4 && !glued {
                if !isLoopbackOrUnspecifiedIPv4(UnsafeBufferPointer(rebasing: s[i..<j])) {
                    findings.append(Finding(start: i, end: j, type: .ipv4))
                }
                resume = j
            } else {
                // Past this run of digits and dots: none of it starts an address.
                resume = i
                while resume < s.count, ByteClass.isDigit(s[resume]) || s[resume] == 0x2E { resume += 1 }
            }
            dot = s.next(0x2E, from: resume)
        }
    }

    static func scanIPv6(_ s: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        var i = 0
        while i < s.count {
            let startsHere = (ByteClass.isHex(s[i]) || s[i] == 0x3A) && !ByteClass.isWord(s.before(i))
                && s.before(i) != 0x3A
            guard startsHere else {
                i += 1
                continue
            }
            var j = i
            var groups = 0
            var doubleColon = false
            var hasLetter = false
            var longGroup = false
            var ok = true
            while j < s.count {
                var n = 0
                while j < s.count, ByteClass.isHex(s[j]) {
                    if !ByteClass.isDigit(s[j]) { hasLetter = true }
                    n += 1
                    j += 1
                }
                if n > 4 { ok = false; break }
                if n > 0 { groups += 1; if n >= 3 { longGroup = true } }
                guard j < s.count, s[j] == 0x3A else { break }
                if j + 1 < s.count, s[j + 1] == 0x3A {
                    if doubleColon { ok = false; break }
                    doubleColon = true
                    j += 2
                } else {
                    j += 1
                    if !(j < s.count && ByteClass.isHex(s[j])) { j -= 1; break }
                }
            }
            let shapeOK = ok && (groups == 8 || (doubleColon && groups >= 1 && groups <= 7))
                && (hasLetter || longGroup || doubleColon) && !ByteClass.isWord(s.at(j))
            if shapeOK {
                if !UnsafeBufferPointer(rebasing: s[i..<j]).elementsEqual("::1".utf8) {
                    findings.append(Finding(start: i, end: j, type: .ipv6))
                }
                i = j
            } else {
                i = max(i + 1, j)
            }
        }
    }

    /// 127.x.x.x or 0.0.0.0 (the text of a dotted quad already checked).
    static func isLoopbackOrUnspecifiedIPv4(_ address: UnsafeBufferPointer<UInt8>) -> Bool {
        address.starts(with: "127.".utf8) || address.elementsEqual("0.0.0.0".utf8)
    }
}
