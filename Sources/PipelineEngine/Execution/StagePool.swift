import Foundation

/// The runner's threads: each stage job (key known, not cached) runs on one of at most `threads` threads
/// (`--jobs`) from start to commit, whichever executor runs its work; further jobs wait in a queue.
/// Threads are reused: a fresh thread per stage costs stack and malloc-arena set-up.
final class StagePool: @unchecked Sendable {
    private var queue: [@Sendable () -> Void] = []
    private var idle = 0
    private var threadCount = 0
    private let maxThreads: Int
    private let condition = NSCondition()

    init(threads: Int) {
        maxThreads = max(1, threads)
    }

    /// How many jobs the runner may hand over at once: more than run, so a finishing stage's thread picks
    /// up the next one without waiting for the runner's thread to be scheduled.
    var inFlightLimit: Int { maxThreads * 4 }

    /// Starts `job` (or queues it); the job reports its own completion.
    func execute(_ job: @escaping @Sendable () -> Void) {
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
