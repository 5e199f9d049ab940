#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// A configuration value that Keel cannot use. The message names the variable, the value and what is accepted.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let variable: String
    public let value: String
    public let accepted: String

    public var description: String { "\(variable)=\(value.debugDescription) is not valid; accepted: \(accepted)" }

    package init(variable: String, value: String, accepted: String) {
        self.variable = variable
        self.value = value
        self.accepted = accepted
    }
}

extension KeelConfiguration {
    /// The variables ``fromEnvironment(_:)`` reads, with what each accepts; the README's table is this list.
    public static let environmentVariables: [(name: String, accepts: String, meaning: String)] = [
        ("LOG_LEVEL", "trace, debug, info, notice, warning (warn), error, critical", "lowest level written; default info"),
        ("LOG_FORMAT", "json, text", "console format; default json"),
        ("LOG_FILE", "a file path", "also append JSON lines to this file"),
        ("LOG_ROTATE_SIZE", "a size: 1048576, 50MB, 1GiB …", "start a new LOG_FILE before it grows past this"),
        ("LOG_ROTATE_DAILY", "true, false", "start a new LOG_FILE each UTC day"),
        ("LOG_KEEP_FILES", "a positive whole number", "keep this many rotated files"),
        ("LOG_KEEP_DAYS", "a positive whole number", "delete rotated files older than this many days"),
        ("LOG_GZIP", "true, false", "gzip rotated files"),
        ("LOG_SAMPLE_RATE", "a number from 0 to 1", "fraction of ops events kept, per request; default 1"),
        ("LOG_SAMPLE_RATES", "level or event name = rate, comma-separated: debug=0.01,http.request=0.05", "rates per level or event name, over LOG_SAMPLE_RATE"),
        ("LOG_FLOOD_LIMIT", "a count per interval: 100/1s, 10/500ms, 1000/1m", "at most so many events of one name per interval"),
        ("LOG_QUEUE_EVENTS", "a whole number from 16 up, or sync", "events the background queue holds; sync writes on the calling thread; default 8192"),
        ("KEEL_SERVICE", "a non-empty name", "the `service` field; default the executable's name"),
        ("KEEL_ENV", "a non-empty name", "the `env` field (production, staging …)"),
        ("KEEL_VERSION", "a non-empty string", "the `version` field"),
        ("KEEL_CONSOLE", "split, stdout, stderr, off", "where console lines go; default split (ERROR+ to stderr)"),
        ("KEEL_REDACTION_POLICY", "a JSON policy file, or off", "what redaction removes; default the built-in policy"),
    ]

    /// Reads the configuration from environment variables (see ``environmentVariables``), starting from `base`.
    ///
    /// - Parameter environment: the variables to read; the process environment when `nil`.
    /// - Throws: ``ConfigurationError`` for the first variable whose value is not accepted.
    public static func fromEnvironment(
        _ environment: [String: String]? = nil, base: KeelConfiguration = KeelConfiguration()
    ) throws(ConfigurationError) -> KeelConfiguration {
        let environment = environment ?? ProcessEnvironment.current()
        var config = base
        func value(_ name: String) -> String? {
            guard let raw = environment[name] else { return nil }
            let trimmed = raw.trimmingASCIIWhitespace()
            return trimmed.isEmpty ? nil : trimmed
        }
        func accepted(_ name: String) -> String {
            environmentVariables.first { $0.name == name }?.accepts ?? ""
        }
        func fail(_ name: String) -> ConfigurationError {
            ConfigurationError(variable: name, value: environment[name] ?? "", accepted: accepted(name))
        }
        if let v = value("LOG_LEVEL") {
            guard let level = Logger.Level(canonicalName: v) else { throw fail("LOG_LEVEL") }
            config.level = level
        }
        if let v = value("LOG_FORMAT") {
            guard let format = ConsoleSink.Format(rawValue: v.lowercased()) else { throw fail("LOG_FORMAT") }
            config.format = format
        }
        if let v = value("LOG_FILE") { config.file = v }
        var rotation = config.fileRotation ?? FileRotation()
        var rotates = config.fileRotation != nil
        if let v = value("LOG_ROTATE_SIZE") {
            guard let bytes = ByteSize.parse(v) else { throw fail("LOG_ROTATE_SIZE") }
            rotation.maxBytes = bytes
            rotates = true
        }
        if let v = value("LOG_ROTATE_DAILY") {
            guard let on = Bool(v.lowercased()) else { throw fail("LOG_ROTATE_DAILY") }
            rotation.daily = on
            rotates = rotates || on
        }
        if let v = value("LOG_KEEP_FILES") {
            guard let n = Int(v), n > 0 else { throw fail("LOG_KEEP_FILES") }
            rotation.keepFiles = n
        }
        if let v = value("LOG_KEEP_DAYS") {
            guard let n = Int(v), n > 0 else { throw fail("LOG_KEEP_DAYS") }
            rotation.keepDays = n
        }
        if let v = value("LOG_GZIP") {
            guard let on = Bool(v.lowercased()) else { throw fail("LOG_GZIP") }
            rotation.compress = on
        }
        if rotates { config.fileRotation = rotation }
        if let v = value("LOG_SAMPLE_RATE") {
            guard let rate = Double(v), rate >= 0, rate <= 1 else { throw fail("LOG_SAMPLE_RATE") }
            config.sampleRate = rate
        }
        if let v = value("LOG_SAMPLE_RATES") {
            for entry in v.split(separator: ",") {
                let parts = entry.split(separator: "=", maxSplits: 1).map { String($0).trimmingASCIIWhitespace() }
                guard parts.count == 2, !parts[0].isEmpty, let rate = Double(parts[1]), rate >= 0, rate <= 1 else {
                    throw fail("LOG_SAMPLE_RATES")
                }
                if let level = Logger.Level(canonicalName: parts[0]) {
                    config.levelSampleRates[level] = rate
                } else {
                    config.eventSampleRates[parts[0]] = rate
                }
            }
        }
        if let v = value("LOG_FLOOD_LIMIT") {
            guard let limiter = FloodLimiter(v) else { throw fail("LOG_FLOOD_LIMIT") }
            config.floodLimit = (limiter.limit, limiter.interval)
        }
        if let v = value("LOG_QUEUE_EVENTS") {
            if v.lowercased() == "sync" {
                config.delivery = .synchronous
            } else {
                guard let n = Int(v), n >= 16 else { throw fail("LOG_QUEUE_EVENTS") }
                config.delivery = .background(queueEvents: n)
            }
        }
        if let v = value("KEEL_SERVICE") { config.service = v }
        if let v = value("KEEL_ENV") { config.environment = v }
        if let v = value("KEEL_VERSION") { config.version = v }
        if let v = value("KEEL_REDACTION_POLICY") {
            if v.lowercased() == "off" {
                config.redaction = nil
            } else {
                do {
                    config.redaction = try RedactionPolicy.load(json: try readTextFile(v), readFile: readFileBytes)
                } catch let error as RedactionPolicyError {
                    throw ConfigurationError(variable: "KEEL_REDACTION_POLICY", value: v, accepted: "a valid policy file: \(error)")
                } catch {
                    throw ConfigurationError(variable: "KEEL_REDACTION_POLICY", value: v, accepted: "a readable JSON file: \(error)")
                }
            }
        }
        if let v = value("KEEL_CONSOLE") {
            switch v.lowercased() {
            case "split": config.console = .split
            case "stdout": config.console = .stdoutOnly
            case "stderr": config.console = .stderrOnly
            case "off", "none": config.console = nil
            default: throw fail("KEEL_CONSOLE")
            }
        }
        return config
    }
}

/// Sizes as people write them: `1048576`, `512KB`, `50MB`, `1GB` (powers of 1024; `KiB`, `MiB`, `GiB` too).
package enum ByteSize {
    package static func parse(_ text: String) -> Int? {
        let upper = String(text.uppercased().filter { $0 != " " })
        let units: [(String, Int)] = [
            ("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30),
            ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1),
        ]
        for (suffix, factor) in units where upper.hasSuffix(suffix) {
            guard let n = Int(upper.dropLast(suffix.count)), n > 0, n <= Int.max / factor else { return nil }
            return n * factor
        }
        guard let n = Int(upper), n > 0 else { return nil }
        return n
    }
}

/// The process environment as a dictionary.
package enum ProcessEnvironment {
    package static func current() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

/// A configuration file could not be read.
public struct FileReadError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { reason }
}

/// Reads a whole file (configuration files only; never on the logging path).
package func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileReadError(path: path, reason: FileDescriptorIO.describe(errno)) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileReadError(path: path, reason: FileDescriptorIO.describe(errno))
        }
        if n == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<n])
    }
}

/// Reads a whole text file (configuration files only).
package func readTextFile(_ path: String) throws -> String { String(decoding: try readFileBytes(path), as: UTF8.self) }
