import Foundation

/// Idle thread time of parallel regions, collected by `Parallel` while profiling is on.
///
/// For each outermost `Parallel.forEach` that spreads work over n > 1 threads: n × its wall time minus the
/// wall time its workers spent in their chunks. That is time a thread was held by the region without work:
/// waiting for the slowest chunk (imbalance), waking up, or not scheduled at all on a loaded machine.
extension Profiler {
    /// Idle thread-seconds, parallel regions measured, and their thread-seconds (n × wall) since `reset()`.
    public static func idleThreads() -> (seconds: Double, regions: Int, threadSeconds: Double) {
        idle.lock.lock(); defer { idle.lock.unlock() }
        return (Double(idle.idleNanoseconds) / 1e9, idle.regions, Double(idle.threadNanoseconds) / 1e9)
    }

    /// Zeroes the idle-thread figures (`reset()` calls it).
    static func resetIdle() {
        idle.lock.lock(); defer { idle.lock.unlock() }
        idle.idleNanoseconds = 0
        idle.threadNanoseconds = 0
        idle.regions = 0
    }

    /// One outermost parallel region being measured: its workers report each chunk through `chunk(_:)`,
    /// and `finish()` records threads × wall − busy as idle. Nil inside a chunk of another measured region
    /// (a nested region's time is its worker's busy time).
    final class ParallelRegion: @unchecked Sendable {
        let threads: Int
        let start = DispatchTime.now().uptimeNanoseconds
        private let lock = NSLock()
        private var busy: UInt64 = 0

        init?(threads: Int) {
            if Profiler.inParallelChunk.value { return nil }
            self.threads = threads
        }

        /// Runs one chunk on the calling worker, adding its wall time to the region's busy time.
        func chunk(_ body: () -> Void) {
            Profiler.inParallelChunk.value = true
            let c0 = DispatchTime.now().uptimeNanoseconds
            body()
            let dt = DispatchTime.now().uptimeNanoseconds &- c0
            Profiler.inParallelChunk.value = false
            lock.lock(); busy &+= dt; lock.unlock()
        }

        /// Records the region once every chunk has run.
        func finish() {
            let wall = DispatchTime.now().uptimeNanoseconds &- start
            let held = wall &* UInt64(threads)
            lock.lock(); let b = busy; lock.unlock()
            Profiler.idle.add(idle: held > b ? held - b : 0, held: held)
        }
    }

    fileprivate static let idle = IdleStore()
    /// Whether this thread is running a chunk of a measured parallel region.
    fileprivate static let inParallelChunk = ThreadFlag()
}

private final class IdleStore: @unchecked Sendable {
    let lock = NSLock()
    var idleNanoseconds: UInt64 = 0
    var threadNanoseconds: UInt64 = 0
    var regions = 0

    func add(idle: UInt64, held: UInt64) {
        lock.lock(); defer { lock.unlock() }
        idleNanoseconds &+= idle
        threadNanoseconds &+= held
        regions += 1
    }
}
