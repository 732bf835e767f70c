import Foundation

/// Runs stage jobs on threads of this process; the runner decides what and when, the executor only how.
/// Work that leaves the machine goes through `ShardExecutor` (local threads or Slurm array jobs), which a
/// sharded stage calls from inside its job; an unsharded stage always runs here.
public protocol StageExecutor: Sendable {
    /// Starts `job` (or queues it); the job reports its own completion.
    func execute(_ job: @escaping @Sendable () -> Void)
    /// How many jobs the runner may hand over at once for a `--jobs` budget. An executor that queues
    /// (like the local pool) takes more than it runs, so a finishing stage's thread picks up the next one
    /// without waiting for the runner's thread to be scheduled.
    func inFlightLimit(jobs: Int) -> Int
}

extension StageExecutor {
    public func inFlightLimit(jobs: Int) -> Int { jobs }
}

/// Runs jobs on at most `threads` threads of this machine (`--jobs`); further jobs wait in a queue.
/// Threads are reused: a fresh thread per stage costs stack and malloc-arena set-up.
public final class LocalExecutor: StageExecutor, @unchecked Sendable {
    private var queue: [@Sendable () -> Void] = []
    private var idle = 0
    private var threadCount = 0
    private let maxThreads: Int
    private let condition = NSCondition()

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        maxThreads = max(1, threads)
    }

    public func inFlightLimit(jobs: Int) -> Int { min(jobs, maxThreads) * 4 }

    public func execute(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        queue.append(job)
        if idle == 0 && threadCount < maxThreads {
            threadCount += 1
            // Each job runs on one thread from start to end, so per-thread CPU accounting sees one stage at a time.
            let t = Thread { [self] in self.work() }
            t.stackSize = 8 << 20
            t.start()
        } else {
            condition.signal()
        }
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while queue.isEmpty {
                idle += 1
                condition.wait()
                idle -= 1
            }
            let job = queue.removeFirst()
            condition.unlock()
            job()
        }
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
