import Dispatch
import Foundation

/// The one place Trellis spreads work over threads (those of `WorkerPool`).
public enum Parallel {
    /// Threads used by kernels: `TRELLIS_THREADS` when set, else the active core count. Settable.
    nonisolated(unsafe) public static var threadCount: Int = defaultThreadCount

    /// `TRELLIS_THREADS` when it is a positive integer, else the number of active cores.
    public static var defaultThreadCount: Int {
        if let text = ProcessInfo.processInfo.environment["TRELLIS_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Estimated work (in nanoseconds) below which a job is not split. Handing a chunk to a polling pool
    /// worker costs well under a microsecond, but on a loaded machine a worker preempted inside its chunk
    /// holds the caller for a time slice: 10 µs here made small forwards 2× slower at load 8–10.
    public static let minimumWorkPerThread: Double = 100_000

    /// Runs `body(i)` for every `i` in `0..<chunks`, concurrently on up to `threadCount` threads.
    /// Chunks are handed out in order; with one thread (or one chunk) everything runs on the caller.
    public static func forEach(chunks: Int, _ body: (Int) -> Void) {
        guard chunks > 0 else { return }
        let threads = min(threadCount, chunks)
        if threads <= 1 {
            for i in 0..<chunks { body(i) }
            return
        }
        guard Profiler.isEnabled, let region = Profiler.ParallelRegion(threads: threads) else {
            return spread(chunks: chunks, threads: threads, body)
        }
        spread(chunks: chunks, threads: threads) { i in region.chunk { body(i) } }   // idle-thread time
        region.finish()
    }

    /// Runs the chunks on `threads` > 1 threads: the caller and `threads` − 1 pool workers, each taking the
    /// next chunk, so a thread slowed down by other processes on a shared machine simply does fewer chunks.
    /// When the pool is already in use (a region nested in a chunk, or started from another thread
    /// meanwhile) the caller runs them alone.
    private static func spread(chunks: Int, threads: Int, _ body: (Int) -> Void) {
        if WorkerPool.shared.run(chunks: chunks, helpers: threads - 1, body) { return }
        for i in 0..<chunks { body(i) }
    }

    /// How many pieces `totalNanoseconds` of estimated work is worth splitting into (1 ... threadCount).
    /// `perThread` is the least work worth a thread of its own (default `minimumWorkPerThread`).
    public static func usefulThreads(forWork totalNanoseconds: Double,
                                     perThread: Double = minimumWorkPerThread) -> Int {
        let n = Int(totalNanoseconds / perThread)
        return max(1, min(threadCount, n))
    }

    /// Splits `0..<count` into contiguous ranges, one per useful thread for `costPerItem` ns per item,
    /// and runs `body` on each.
    public static func forEach(range count: Int, costPerItem: Double, perThread: Double = minimumWorkPerThread,
                               _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let pieces = min(count, usefulThreads(forWork: Double(count) * costPerItem, perThread: perThread))
        forEach(chunks: pieces) { p in
            body((p * count / pieces)..<((p + 1) * count / pieces))
        }
    }
}
