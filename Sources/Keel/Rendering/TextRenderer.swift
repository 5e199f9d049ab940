import Logging

/// Renders a schema v1 line for people: `2026-11-22 21:44:21.123 INFO  api [http] message  key=value …` (time,
/// level, service, logger, message, then the other fields).
///
/// Used by the console in `LOG_FORMAT=text` and by `keel tail`. Whatever an event contains, the output is one
/// line with no control characters: newlines, tabs and escape sequences in values are shown as `\n`, `\t`,
/// `\u{1B}`, so a log line can never move the cursor or recolour a terminal. A line that is not a JSON object is
/// shown dimmed, sanitised the same way.
package struct TextRenderer: Sendable {
    package var colour: Bool

    package init(colour: Bool) { self.colour = colour }

    /// Envelope fields left out of the `key=value` list: they are shown in the fixed columns, or are the same on
    /// every line of a process.
    static let hidden: Set<String> = [
        "timestamp", "level", "message", "logger", "service", "env", "version", "host", "pid", "schema_version",
        "event_id",
    ]

    package func render(line: UnsafeRawBufferPointer) -> String {
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        let body = UnsafeRawBufferPointer(rebasing: line[0..<end])
        guard let value = try? JSONParser.parse(body, options: .init(repairUTF8: true)), case .object = value else {
            return dim(Self.sanitise(String(decoding: body, as: UTF8.self)))
        }
        return render(event: value)
    }

    package func render(line: String) -> String {
        var line = line
        return line.withUTF8 { render(line: UnsafeRawBufferPointer($0)) }
    }

    /// Renders a parsed event object.
    package func render(event: JSONValue) -> String {
        guard case .object(let members) = event else { return dim(Self.sanitise(event.jsonText)) }
        var out = ""
        if let ts = event["timestamp"]?.stringValue {
            out += dim(Self.shortTime(ts)) + " "
        }
        let levelName = event["level"]?.stringValue ?? "-"
        out += paint(Self.sanitise(levelName).padding(5), Self.levelColour(levelName)) + " "
        if let service = event["service"]?.stringValue, !service.isEmpty {
            out += paint(Self.sanitise(service), .magenta) + " "
        }
        if let logger = event["logger"]?.stringValue, !logger.isEmpty {
            out += dim("[" + Self.sanitise(logger) + "]") + " "
        }
        out += bold(Self.sanitise(event["message"]?.stringValue ?? ""))
        for (key, value) in members where !Self.hidden.contains(key) {
            if key == "event", value.stringValue == "log" { continue }
            if key == "storage_class", value.stringValue == "ops" { continue }
            out += "  " + dim(Self.sanitise(key) + "=") + Self.sanitise(Self.text(of: value))
        }
        return out
    }

    /// `2026-11-22T21:44:21.123456Z` → `2026-11-22 21:44:21.123`.
    static func shortTime(_ ts: String) -> String {
        let chars = Array(ts)
        guard chars.count >= 23, chars[10] == "T" else { return ts }
        return String(chars[0..<10]) + " " + String(chars[11..<23])
    }

    static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let s):
            return s.isEmpty || s.contains(where: { $0 == " " || $0 == "=" || $0 == "\"" }) ? s.debugDescription : s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array, .object: return value.jsonText
        }
    }

    /// Replaces every control character (C0, DEL, C1, U+2028/9) and every bidirectional control (U+200E/F,
    /// U+202A–U+202E, U+2066–U+2069, U+061C) with a visible escape: a "Trojan Source" line cannot reorder what an
    /// operator reads.
    package static func sanitise(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if !isControl(scalar) {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case ..<0x20, 0x7F...0x9F, 0x2028, 0x2029: true
        // Bidirectional marks, embeddings, overrides and isolates.
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    enum Colour: String {
        case red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36", grey = "90"
        case boldRed = "1;31"
    }

    static func levelColour(_ level: String) -> Colour {
        switch Logger.Level(canonicalName: level) {
        case .trace?, .debug?: .grey
        case .info?: .green
        case .notice?: .cyan
        case .warning?: .yellow
        case .error?: .red
        case .critical?, nil: .boldRed
        }
    }

    func paint(_ text: String, _ c: Colour) -> String { colour ? "\u{1B}[\(c.rawValue)m\(text)\u{1B}[0m" : text }
    func dim(_ text: String) -> String { colour ? "\u{1B}[2m\(text)\u{1B}[0m" : text }
    func bold(_ text: String) -> String { colour ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
