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
        // What the store is asked for: the labels named, those the matchers name, and `context`, where a matcher
        // finds a label the event lacks (a Loki stream's own label).
        var members = names.filter { LogRecord.streamLabelNames.contains($0) }
        for matcher in selector.matchers where !members.contains(matcher.name) { members.append(matcher.name) }
        let place = Dictionary(members.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let at = names.map { place[$0] }
        let context = selector.matchers.isEmpty ? nil : members.count
        if context != nil { members.append("context") }
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
                let matches = compiled.matchesStream { name in
                    let index = place[name]!
                    return values[index] ?? context.flatMap { found[$0] }.flatMap { LogRecord.contextLabel(name, in: $0) }
                }
                guard matches else { return true }
                for (index, place) in at.enumerated() { labels[index] = place.flatMap { values[$0] } }
                return body(time, labels)
            }
        } catch {
            throw .store(error)
        }
        if let stopped { throw stopped }
        return true
    }
}
