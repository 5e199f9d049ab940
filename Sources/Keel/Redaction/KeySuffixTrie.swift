/// The key rules' names in a trie read from their last byte, so that a key is matched against every name in one
/// backward pass over it, without normalising it first.
///
/// Nodes are rows of a flat table with one column per normalised byte (`a`–`z`, `0`–`9`); a node's flags say which
/// kinds of name end there. Built once per policy; with the default names it is about 200 nodes, small enough to
/// stay in the first-level cache.
struct KeySuffixTrie: Sendable {
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let secret = Flags(rawValue: 1)
        static let body = Flags(rawValue: 2)
    }

    static let root: UInt16 = 0
    private static let width = 36

    /// `children[node * width + column]` is the child node, or 0 for none (the root is never a child).
    private var children: [UInt16]
    private var nodeFlags: [Flags]
    /// One bit per pair of last two normalised bytes that some name ends with: most keys are ruled out by this
    /// 162-byte table alone, without walking the trie.
    private var lastPairs = [UInt64](repeating: 0, count: (width * width + 63) / 64)
    /// Whether some name is a single byte long (then the pair filter cannot be used).
    private var hasSingleByteName = false

    /// Names are normalised (lower-case letters and digits only).
    init(secret: [[UInt8]], body: [[UInt8]]) {
        children = [UInt16](repeating: 0, count: Self.width)
        nodeFlags = [[]]
        for name in secret { insert(name, .secret) }
        for name in body { insert(name, .body) }
    }

    private mutating func insert(_ name: [UInt8], _ flag: Flags) {
        guard !name.isEmpty else { return }
        if name.count == 1 {
            hasSingleByteName = true
        } else {
            let pair = Self.column(name[name.count - 2]) * Self.width + Self.column(name[name.count - 1])
            lastPairs[pair / 64] |= 1 << UInt64(pair % 64)
        }
        var node = Self.root
        for b in name.reversed() {
            let slot = Int(node) * Self.width + Self.column(b)
            if children[slot] == 0 {
                // A policy with tens of thousands of key names is a mistake, not a configuration.
                precondition(nodeFlags.count < Int(UInt16.max), "too many redaction key names")
                children[slot] = UInt16(nodeFlags.count)
                nodeFlags.append([])
                children.append(contentsOf: repeatElement(0, count: Self.width))
            }
            node = children[slot]
        }
        nodeFlags[Int(node)].insert(flag)
    }

    /// The column of a normalised byte: `a`–`z` are 0–25, `0`–`9` are 26–35.
    @inline(__always)
    private static func column(_ b: UInt8) -> Int {
        ByteClass.isDigit(b) ? Int(b &- 0x30) + 26 : Int(b &- 0x61)
    }

    /// Whether a key whose last two normalised bytes are `first`, `second` may end with a name.
    @inline(__always)
    func mayEnd(with first: UInt8, _ second: UInt8) -> Bool {
        if hasSingleByteName { return true }
        let pair = Self.column(first) * Self.width + Self.column(second)
        return lastPairs.withUnsafeBufferPointer { $0[pair / 64] } & (1 << UInt64(pair % 64)) != 0
    }

    /// The node reached from `node` by the normalised byte `b`.
    @inline(__always)
    func child(of node: UInt16, _ b: UInt8) -> UInt16? {
        let next = children.withUnsafeBufferPointer { $0[Int(node) * Self.width + Self.column(b)] }
        return next == 0 ? nil : next
    }

    @inline(__always)
    func flags(of node: UInt16) -> Flags { nodeFlags.withUnsafeBufferPointer { $0[Int(node)] } }
}
