import Foundation

/// Progress of a sharded stage counted in records, not shards: each shard's own reports (`16 sequences`)
/// are summed with the records of the shards already done, against the whole input's record count, so a
/// stage split 8 ways still shows `[embed] 37/200 sequences 12.5/s ETA 13s`.
public final class ShardProgress: @unchecked Sendable {
    /// Records in each shard, in shard order.
    public let sizes: [Int]
    private var done: [Int]
    private var unit: String?
    private let lock = NSLock()
    private let report: @Sendable (ProgressUpdate) -> Void

    /// `sizes` records in each shard; `finished` are the shards already complete (cached).
    public init(sizes: [Int], finished: Set<Int>, report: @escaping @Sendable (ProgressUpdate) -> Void) {
        self.sizes = sizes
        done = sizes.indices.map { finished.contains($0) ? sizes[$0] : 0 }
        self.report = report
    }

    public var total: Int { sizes.reduce(0, +) }

    /// A report of shard `index` (its own count, in its own unit).
    public func shard(_ index: Int, _ update: ProgressUpdate) {
        guard sizes.indices.contains(index) else { return }
        lock.lock()
        done[index] = min(sizes[index], max(done[index], update.done))
        if unit == nil { unit = update.unit }
        lock.unlock()
        send(update.loss)
    }

    /// Shard `index` finished: all its records count.
    public func finished(_ index: Int) {
        guard sizes.indices.contains(index) else { return }
        lock.lock(); done[index] = sizes[index]; lock.unlock()
        send(nil)
    }

    private func send(_ loss: Double?) {
        lock.lock()
        let update = ProgressUpdate(done: done.reduce(0, +), total: total, unit: unit, loss: loss)
        lock.unlock()
        report(update)
    }
}
