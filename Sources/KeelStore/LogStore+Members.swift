package import Keel

extension LogStore {
    /// ``LogStore/scanMembers(_:names:_:)`` made of ``LogStore/scan(_:order:_:)``: each line read and its members
    /// picked. What a store that keeps whole lines gives.
    public func scanMembers(
        _ query: EventQuery, names: [String], _ body: (_ timestamp: Int64, _ members: [UnsafeBufferPointer<UInt8>?]) -> Bool
    ) throws {
        try lineMembers(query, names: names, body)
    }

    /// Members picked from each line ``LogStore/scan(_:order:_:)`` hands over, in whatever order it reads fastest.
    package func lineMembers(
        _ query: EventQuery, names: [String], _ body: (_ timestamp: Int64, _ members: [UnsafeBufferPointer<UInt8>?]) -> Bool
    ) throws {
        var picker = MemberPicker(names)
        try scan(query, order: .any) { timestamp, line in
            picker.pick(line) { body(timestamp, $0) }
        }
    }
}

/// Picks named top-level members out of a line: for each name, the JSON text of the last member of that name (`nil`
/// when the line has none, or is not a JSON object). The one rule of which member a name reads, for every store.
package struct MemberPicker {
    package let names: [[UInt8]]
    private var scratch: [JSONReader.Member] = []
    private var picked: [UnsafeBufferPointer<UInt8>?]

    package init(_ names: [String]) {
        self.names = names.map { Array($0.utf8) }
        picked = Array(repeating: nil, count: names.count)
    }

    /// Hands `body` the members of `line` (valid only during the call); returns what `body` does.
    package mutating func pick(_ line: UnsafeBufferPointer<UInt8>, _ body: ([UnsafeBufferPointer<UInt8>?]) -> Bool) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        for index in picked.indices { picked[index] = nil }
        // Read strictly, as a query engine reads a line: one that does not pass has no members.
        if (try? JSONReader.members(of: line, maxDepth: 128, into: &scratch)) != nil {
            for member in scratch {
                let key = UnsafeBufferPointer(rebasing: line[member.key])
                for (index, name) in names.enumerated() where Self.key(key, escaped: member.keyEscaped, is: name) {
                    picked[index] = UnsafeBufferPointer(rebasing: line[member.value])
                }
            }
        }
        return body(picked)
    }

    /// Whether a key's bytes as written between its quotes (`escaped`: holding a backslash escape) are `name`.
    package static func key(_ key: UnsafeBufferPointer<UInt8>, escaped: Bool, is name: [UInt8]) -> Bool {
        guard escaped else { return key.elementsEqual(name) }
        let reader = JSONReader(key, maxDepth: 1, repairUTF8: true)
        return reader.text(of: JSONReader.StringToken(content: 0..<key.count, escaped: true, validUTF8: true)).utf8.elementsEqual(name)
    }
}
