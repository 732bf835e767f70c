import Foundation

/// The tasks of one stage that must run, handed to an executor in one piece: one task for a whole stage,
/// one per shard for a sharded stage.
public struct TaskBatch: Sendable {
    public var stage: String
    /// Tasks written for attempt 1, in shard order.
    public var tasks: [ShardTask]
    /// How each failed task runs again (the stage's `retries`).
    public var retry: RetryPolicy
    public var resources: ShardResources
    /// Where batch files (manifests) go: `<work>/shards/<stage key>-of<N>/`.
    public var directory: URL
    /// The stage's log (local tasks write there; Slurm tasks write their own `%A_%a.log`).
    public var logDescriptor: Int32
    public var note: @Sendable (String) -> Void
    /// Progress a task running in this process reports (task index, its own count); Slurm tasks report none.
    public var progress: @Sendable (Int, ProgressUpdate) -> Void = { _, _ in }
}

/// Where the work of stages runs: threads of this process (`LocalExecutor`) or Slurm jobs
/// (`SlurmExecutor`). The runner decides which stages run and when, and commits their outputs; the executor
/// only runs tasks (a whole stage is one task, a sharded stage one task per shard), runs each failed task
/// again as `retry` says, and reports, per task index, nil for success or the last error.
public protocol StageExecutor: Sendable {
    /// True when tasks run in this process: a whole stage then runs directly in its stage job's scratch
    /// directory (no task directory or completion marker), and only shards go through `run`.
    var runsInProcess: Bool { get }
    /// Runs every task of `batch`; blocks until each has succeeded or used up its attempts.
    func run(_ batch: TaskBatch) -> [Int: String?]
    /// Cancels whatever the executor has started (Ctrl-C).
    func cancelAll()
    /// How many of a pipeline's `stages` the runner has in flight (one thread each) under `--jobs` `jobs`:
    /// `jobs` by default; more for an executor that caps its own queue.
    func stagesInFlight(jobs: Int, stages: Int) -> Int
}

extension StageExecutor {
    public func cancelAll() {}
    public func stagesInFlight(jobs: Int, stages: Int) -> Int { jobs }
}

/// Runs tasks on up to `threads` threads of this process.
public final class LocalExecutor: StageExecutor, @unchecked Sendable {
    let threads: Int
    let registry: (String) -> StageType?

    /// `registry` finds a task's stage type by name.
    public init(threads: Int, registry: @escaping (String) -> StageType?) {
        self.threads = max(1, threads)
        self.registry = registry
    }

    public var runsInProcess: Bool { true }

    public func run(_ batch: TaskBatch) -> [Int: String?] {
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

    private func runWithRetries(_ task: ShardTask, _ batch: TaskBatch) -> String? {
        guard let type = registry(task.type) else { return "unknown stage type \(task.type)" }
        var last = ""
        let done: Void? = batch.retry.run(task.title, note: batch.note, { attempt in
            var t = task
            t.attempt = attempt
            try ShardWorker.run(t, type: type, logDescriptor: batch.logDescriptor) { batch.progress(task.index, $0) }
        }, failed: { _, error in
            last = FoundationErrorText.describe(error)
            return last
        })
        return done == nil ? last : nil
    }
}
