/// Why a block cannot be written or read.
package enum BlockError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a block this build wrote, or were changed since (checksum, bounds, or structure).
    case corrupt(String)
    /// zstd refused to compress (it does so only for settings it does not support).
    case compression(String)
    /// A block holds 1 to ``EventBlock/maximumRows`` events, each with a timestamp and a line.
    case invalidInput(String)

    package var description: String {
        switch self {
        case .corrupt(let why): "corrupt block: \(why)"
        case .compression(let why): "zstd failed: \(why)"
        case .invalidInput(let why): "cannot write a block: \(why)"
        }
    }
}
