import Foundation

/// The shards of one stage that must run, handed to a shard executor in one piece.
public struct ShardBatch: Sendable {
    public var stage: String
    /// Tasks written for attempt 1, in shard order.
    public var tasks: [ShardTask]
    /// Extra attempts per shard after a failure (the stage's `retries`).
    public var retries: Int
    public var resources: ShardResources
    /// Where batch files (manifests) go: `<work>/shards/<stage key>-of<N>/`.
    public var directory: URL
    /// The stage's log (local shards write there; Slurm tasks write their own `%A_%a.log`).
    public var logDescriptor: Int32
    public var note: @Sendable (String) -> Void
    /// Progress a shard running in this process reports (shard index, its own count); Slurm tasks report none.
    public var progress: @Sendable (Int, ProgressUpdate) -> Void = { _, _ in }
}

/// Runs the shards of sharded stages: in this process (`LocalShardExecutor`) or as a Slurm job array
/// (`SlurmExecutor`). The runner decides which shards are needed; the executor only runs them, retries
/// failures up to `retries` times each, and reports, per shard index, nil for success or the last error.
public protocol ShardExecutor: Sendable {
    /// Runs every task of `batch`; blocks until each has succeeded or used up its attempts.
    func run(_ batch: ShardBatch) -> [Int: String?]
    /// Cancels whatever the executor has started (Ctrl-C).
    func cancelAll()
}

extension ShardExecutor {
    public func cancelAll() {}
}

/// Runs shards on up to `threads` threads of this process.
public final class LocalShardExecutor: ShardExecutor, @unchecked Sendable {
    let threads: Int
    let registry: (String) -> StageType?

    public init(threads: Int, registry: @escaping (String) -> StageType?) {
        self.threads = max(1, threads)
        self.registry = registry
    }

    public func run(_ batch: ShardBatch) -> [Int: String?] {
        final class State: @unchecked Sendable { var results: [Int: String?] = [:]; var next = 0 }
        let state = State()
        let lock = NSLock()
        let group = DispatchGroup()
        for _ in 0..<min(threads, batch.tasks.count) {
            group.enter()
            let t = Thread { [self] in
                while true {
                    lock.lock()
                    guard state.next < batch.tasks.count else { lock.unlock(); break }
                    let task = batch.tasks[state.next]
                    state.next += 1
                    lock.unlock()
                    let error = runWithRetries(task, batch)
                    lock.lock(); state.results[task.index] = error; lock.unlock()
                }
                group.leave()
            }
            t.stackSize = 8 << 20
            t.start()
        }
        group.wait()
        return state.results
    }

    private func runWithRetries(_ task: ShardTask, _ batch: ShardBatch) -> String? {
        guard let type = registry(task.type) else { return "unknown stage type \(task.type)" }
        var last = ""
        for attempt in 1...(batch.retries + 1) {
            var t = task
            t.attempt = attempt
            do {
                try ShardWorker.run(t, type: type, logDescriptor: batch.logDescriptor) { batch.progress(task.index, $0) }
                return nil
            } catch {
                last = FoundationErrorText.describe(error)
                if attempt <= batch.retries { batch.note("shard \(task.label) failed (attempt \(attempt) of \(batch.retries + 1)): \(last); retrying") }
            }
        }
        return last
    }
}
