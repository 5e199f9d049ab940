/// logfmt (`level=info msg="a b" duration=12ms`), as Loki's `| logfmt` reads it: pairs separated by spaces, values
/// bare or double-quoted with backslash escapes; a key without `=` has the empty value.
enum Logfmt {
    static func pairs(_ text: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            while i < scalars.count, scalars[i] == " " || scalars[i] == "\t" { i += 1 }
            var key = ""
            while i < scalars.count, scalars[i] != "=", scalars[i] != " ", scalars[i] != "\t" {
                key.unicodeScalars.append(scalars[i])
                i += 1
            }
            var value = ""
            if i < scalars.count, scalars[i] == "=" {
                i += 1
                if i < scalars.count, scalars[i] == "\"" {
                    i += 1
                    while i < scalars.count, scalars[i] != "\"" {
                        if scalars[i] == "\\", i + 1 < scalars.count { i += 1 }
                        value.unicodeScalars.append(scalars[i])
                        i += 1
                    }
                    i += 1
                } else {
                    while i < scalars.count, scalars[i] != " ", scalars[i] != "\t" {
                        value.unicodeScalars.append(scalars[i])
                        i += 1
                    }
                }
            }
            if !key.isEmpty { pairs.append((key, value)) }
        }
        return pairs
    }
}
