/// The meanings (``ForeignVocabulary/meaning(utf8:)``) of the last record's member names, by position.
///
/// A producer writes the same names in the same order record after record, so a name equal to the one at its place
/// in the last record means what it meant there: one byte comparison instead of a lookup (which, for a name that is
/// not canonical, builds a `String` to search the alias table with). A name that differs is looked up, and the
/// names after it are learnt afresh.
struct NameMeanings: ~Copyable {
    private struct Entry {
        var start: Int
        var count: Int
        var meaning: ForeignVocabulary.Meaning?
    }

    /// The names of the entries, back to back.
    private var names: [UInt8] = []
    private var entries: [Entry] = []

    init() {}

    /// The meaning of `name` (unescaped UTF-8), the member at `position` of its record.
    mutating func meaning(of name: UnsafeBufferPointer<UInt8>, at position: Int) -> ForeignVocabulary.Meaning? {
        if position < entries.count {
            let entry = entries[position]
            if names.withUnsafeBufferPointer({ ByteSearch.equal(UnsafeBufferPointer(rebasing: $0[entry.start..<entry.start + entry.count]), name) }) {
                return entry.meaning
            }
            names.removeSubrange(entry.start...)
            entries.removeSubrange(position...)
        }
        let meaning = ForeignVocabulary.meaning(utf8: name)
        if position == entries.count {
            entries.append(Entry(start: names.count, count: name.count, meaning: meaning))
            names.append(contentsOf: name)
        }
        return meaning
    }
}
