/// Rows of several runs, each sorted by time then arrival (a block's rows, the head's), handed over as one sequence
/// in time order, oldest or newest first, within a range. A run is read only once the sequence reaches its time
/// range: a read that stops after the first hundred rows reads the one or two blocks that hold them, not the day.
struct RowMerge {
    struct Run {
        /// The run's earliest and latest times (µs), known without reading it (a block's header).
        var first: Int64
        var last: Int64
        /// Its rows, sorted by time then arrival; `nil` when they cannot be read (a damaged block, reported by the
        /// loader and skipped).
        var load: () -> [EventBlock.Row]?
    }

    private struct Cursor {
        let rows: [EventBlock.Row]
        /// The next row to give, and the end of the run's part in range (exclusive; the start, newest first).
        var next: Int
        let end: Int
    }

    var from: Int64?
    var to: Int64?

    /// Gives `body` every row of `runs` in `[from, to)`, oldest first (by time then arrival) or newest first, until it
    /// returns `false`; returns whether it went to the end.
    func forEach(_ runs: [Run], newestFirst: Bool, _ body: (EventBlock.Row) -> Bool) -> Bool {
        let waiting = runs.filter { run in (from.map { run.last >= $0 } ?? true) && (to.map { run.first < $0 } ?? true) }
            .sorted { newestFirst ? $0.last > $1.last : $0.first < $1.first }
        var nextRun = 0
        var open: [Cursor] = []
        while true {
            var best: Int?
            for index in open.indices {
                guard let current = best else {
                    best = index
                    continue
                }
                let a = open[index].rows[open[index].next]
                let b = open[current].rows[open[current].next]
                if newestFirst ? (a.timestamp, a.seq) > (b.timestamp, b.seq) : (a.timestamp, a.seq) < (b.timestamp, b.seq) { best = index }
            }
            if nextRun < waiting.count {
                let run = waiting[nextRun]
                let frontier = best.map { open[$0].rows[open[$0].next].timestamp }
                if frontier.map({ newestFirst ? run.last >= $0 : run.first <= $0 }) ?? true {
                    nextRun += 1
                    if let rows = run.load(), let cursor = cursor(rows, newestFirst: newestFirst) { open.append(cursor) }
                    continue
                }
            }
            guard let best else { return true }
            guard body(open[best].rows[open[best].next]) else { return false }
            open[best].next += newestFirst ? -1 : 1
            if newestFirst ? open[best].next < open[best].end : open[best].next >= open[best].end { open.remove(at: best) }
        }
    }

    /// Gives `body` every row of `runs` in `[from, to)` in the runs' own order, until it returns `false`.
    func forEachUnordered(_ runs: [Run], _ body: (EventBlock.Row) -> Bool) -> Bool {
        for run in runs where (from.map { run.last >= $0 } ?? true) && (to.map { run.first < $0 } ?? true) {
            guard let rows = run.load(), let cursor = cursor(rows, newestFirst: false) else { continue }
            for index in cursor.next..<cursor.end { guard body(rows[index]) else { return false } }
        }
        return true
    }

    /// A cursor over the part of `rows` in range; `nil` when none is.
    private func cursor(_ rows: [EventBlock.Row], newestFirst: Bool) -> Cursor? {
        let start = from.map { from in rows.partitionPoint { $0.timestamp >= from } } ?? 0
        let end = to.map { to in rows.partitionPoint { $0.timestamp >= to } } ?? rows.count
        guard start < end else { return nil }
        return newestFirst ? Cursor(rows: rows, next: end - 1, end: start) : Cursor(rows: rows, next: start, end: end)
    }
}

extension Array {
    /// The index of the first element for which `isAfter` holds, in an array where it holds for a suffix.
    func partitionPoint(_ isAfter: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = low + (high - low) / 2
            if isAfter(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
