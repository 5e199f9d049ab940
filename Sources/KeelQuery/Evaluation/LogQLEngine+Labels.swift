import Foundation
import Keel
import KeelStore

extension LogQLEngine {
    /// Hands `body` the time (nanoseconds) and the values of the stream labels `names` (`nil` for a name that is not
    /// one, or that the event lacks) of each event of `selector` between `from` and `to` (`to` exclusive), in no
    /// particular order, until it returns `false` — read through ``LogStore/scanMembers(_:names:_:)``, so that a
    /// store that keeps columns builds no line. Only for a selector without a pipeline whose matchers name stream
    /// labels: returns `false`, reading nothing, for any other (the caller reads records then).
    func scanLabels(
        _ selector: LogSelector, names: [String], tenant: String, from: Int64, to: Int64, deadline: Date,
        _ body: (_ timestamp: Int64, _ labels: [String?]) -> Bool
    ) throws(QueryFailure) -> Bool {
        guard selector.stages.isEmpty, selector.matchers.allSatisfy({ LogRecord.streamLabelNames.contains($0.name) }) else { return false }
        let compiled = try CompiledSelector(selector)
        // What the store is asked for: the fields named, those the matchers name, and `context`, where a matcher
        // finds a label the event lacks (a Loki stream's own label).
        var members: [String] = []
        for name in names + selector.matchers.map(\.name) where !members.contains(name) { members.append(name) }
        let place = Dictionary(members.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let at = names.map { place[$0] }
        // A name the event lacks at the top is looked for in `context`, as ``LogRecord/value(of:)`` does: read when
        // a matcher or a field that is not a label may need it (labels are top-level members of Keel's events).
        let needsContext = !selector.matchers.isEmpty || names.contains { !LogRecord.streamLabelNames.contains($0) }
        let context = needsContext ? members.count : nil
        if needsContext { members.append("context") }
        var read = 0
        var stopped: QueryFailure?
        var labels = [String?](repeating: nil, count: names.count)
        var values = [String?](repeating: nil, count: members.count)
        do {
            try store.scanMembers(Self.storeQuery(selector, tenant: tenant, from: from, to: to), names: members) { timestamp, found in
                if let stop = poll(&read, deadline: deadline) {
                    stopped = stop
                    return false
                }
                let time = timestamp &* 1000
                guard time >= from, time < to else { return true }
                for index in values.indices where index != context { values[index] = found[index].flatMap(LogRecord.labelText(json:)) }
                func value(_ name: String, at index: Int) -> String? {
                    values[index] ?? context.flatMap { found[$0] }.flatMap { LogRecord.contextLabel(name, in: $0) }
                }
                guard compiled.matchesStream({ value($0, at: place[$0]!) }) else { return true }
                for (index, place) in at.enumerated() { labels[index] = place.map { value(names[index], at: $0) } ?? nil }
                return body(time, labels)
            }
        } catch {
            throw .store(error)
        }
        if let stopped { throw stopped }
        return true
    }
}
