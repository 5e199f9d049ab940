import ArgumentParser
import Keel

/// `--color auto|always|never`, the same for every command that renders events.
enum ColourChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// Whether to colour what goes to standard output.
    var enabled: Bool { self == .always || (self == .auto && FileDescriptorIO.isTerminal(1)) }
}
