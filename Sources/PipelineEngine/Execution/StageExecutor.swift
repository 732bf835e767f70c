import Foundation

/// Runs stage jobs somewhere; the runner decides what and when, the executor only how. A Slurm executor
/// would submit the job instead of running it on a local thread.
public protocol StageExecutor: Sendable {
    /// Starts `job`; the job reports its own completion.
    func execute(_ job: @escaping @Sendable () -> Void)
}

/// Runs each job on its own thread of this machine (the runner keeps at most `--jobs` in flight).
public struct LocalExecutor: StageExecutor {
    public init() {}

    public func execute(_ job: @escaping @Sendable () -> Void) {
        // A dedicated thread per stage so per-thread CPU accounting (RUSAGE_THREAD) sees exactly one stage.
        let t = Thread { job() }
        t.stackSize = 8 << 20
        t.start()
    }
}

/// A thread-safe FIFO the workers post finished jobs to and the runner waits on.
final class EventQueue<T>: @unchecked Sendable {
    private var items: [T] = []
    private let condition = NSCondition()

    func post(_ item: T) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    func wait() -> T {
        condition.lock()
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.unlock()
        return item
    }
}
