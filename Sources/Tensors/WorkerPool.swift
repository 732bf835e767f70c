import Dispatch
import Foundation
import Synchronization

/// Threads kept alive between parallel regions, so that handing out a few microseconds of work costs well
/// under a microsecond instead of a thread wake-up (5–20 µs through `DispatchQueue.concurrentPerform`).
///
/// After a region each worker keeps polling for the next one for `spinNanoseconds` (yielding its core to any
/// other runnable thread after the first few microseconds, so a loaded machine loses little), then sleeps on
/// a condition until woken. The caller always works on its own region too and never waits for a worker that
/// has not started: an offer a worker has not taken yet is withdrawn once the chunks run out, so a worker
/// that is asleep or not scheduled delays nothing. Which thread runs a chunk never changes what it computes.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker polls before sleeping: the gap between back-to-back kernels, no more. Polling
    /// time comes out of the process's own CPU share on a loaded machine (one scheduling group per session):
    /// 300 µs made a t6_8M batch-1 forward, many short serial steps between kernels, 2.5× slower at load 9.
    static let spinNanoseconds: UInt64 = 50_000

    private let growLock = NSLock()
    private var workers: [Worker] = []
    /// Set while a region runs: a nested region (a chunk calling `Parallel`) or one started from another
    /// thread at the same time runs on its caller alone.
    private let busy = Atomic<Bool>(false)

    /// Runs `body(i)` for every `i` in `0..<chunks` on the caller and up to `helpers` workers, each thread
    /// taking the next chunk in order. Returns false, having run nothing, when the pool is in use.
    func run(chunks: Int, helpers: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        let team = workers(helpers)
        withoutActuallyEscaping(body) { escaping in
            let job = Job(chunks: chunks, body: escaping)
            let offer = Int(bitPattern: Unmanaged.passUnretained(job).toOpaque())
            for w in team { w.offer(offer) }
            job.work()
            for w in team { w.collect(offer) }
        }
        return true
    }

    /// The first `count` workers, started on first use.
    private func workers(_ count: Int) -> ArraySlice<Worker> {
        growLock.lock(); defer { growLock.unlock() }
        while workers.count < count {
            let w = Worker()
            workers.append(w)
            w.start()
        }
        return workers[0..<count]
    }
}

/// One region: the body and a shared next-chunk counter.
private final class Job: @unchecked Sendable {
    let chunks: Int
    let body: (Int) -> Void
    private let next = Atomic<Int>(0)

    init(chunks: Int, body: @escaping (Int) -> Void) {
        self.chunks = chunks
        self.body = body
    }

    /// Takes chunks until none is left.
    func work() {
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= chunks { return }
            body(i)
        }
    }
}

/// A pool thread and its mailbox: 0 when idle, a `Job` address while offered, `running` once taken.
private final class Worker: @unchecked Sendable {
    private static let running = 1
    // The mailbox and the sleep flag sit on their own cache lines: the caller and the worker both poll them.
    private let mailbox = PaddedAtomic()
    private let sleeping = PaddedAtomic()
    private let wake = NSCondition()

    func start() {
        let thread = Thread { [self] in loop() }
        thread.stackSize = 8 << 20   // as a main thread: kernels keep scratch tiles on the stack
        thread.name = "trellis-worker"
        thread.start()
    }

    /// Offers a job (caller side), waking the worker if it sleeps.
    func offer(_ job: Int) {
        mailbox.value.store(job, ordering: .sequentiallyConsistent)
        if sleeping.value.load(ordering: .sequentiallyConsistent) != 0 {
            wake.lock(); wake.signal(); wake.unlock()
        }
    }

    /// Withdraws the offer if the worker has not taken it, else waits until the worker is done with the job
    /// (caller side, once no chunk is left to take: the wait is the rest of the worker's last chunk).
    func collect(_ job: Int) {
        if mailbox.value.compareExchange(expected: job, desired: 0, ordering: .acquiring).exchanged { return }
        var polls = 0
        while mailbox.value.load(ordering: .acquiring) != 0 {
            polls += 1
            if polls > 1_000 { sched_yield() }
        }
    }

    private func loop() {
        while true {
            let job = waitForOffer()
            if mailbox.value.compareExchange(expected: job, desired: Worker.running, ordering: .acquiring).exchanged {
                Worker.work(job)
                mailbox.value.store(0, ordering: .releasing)
            }
        }
    }

    /// Runs a taken job; no reference to it outlives this call (the caller's body must not escape).
    @inline(never)
    private static func work(_ job: Int) {
        guard let p = UnsafeRawPointer(bitPattern: job) else { return }
        Unmanaged<Job>.fromOpaque(p)._withUnsafeGuaranteedRef { $0.work() }
    }

    /// Polls the mailbox for `WorkerPool.spinNanoseconds`, then sleeps until an offer arrives.
    private func waitForOffer() -> Int {
        let start = DispatchTime.now().uptimeNanoseconds
        var polls = 0
        while true {
            let v = mailbox.value.load(ordering: .acquiring)
            if v > Worker.running { return v }
            polls += 1
            if polls & 63 == 0 {
                let elapsed = DispatchTime.now().uptimeNanoseconds &- start
                if elapsed > WorkerPool.spinNanoseconds { break }
                if elapsed > 5_000 { sched_yield() }   // past the gap of back-to-back kernels
            }
        }
        wake.lock(); defer { wake.unlock() }
        sleeping.value.store(1, ordering: .sequentiallyConsistent)
        defer { sleeping.value.store(0, ordering: .sequentiallyConsistent) }
        while true {
            let v = mailbox.value.load(ordering: .sequentiallyConsistent)
            if v > Worker.running { return v }
            wake.wait()
        }
    }
}

/// An atomic integer alone on its cache line.
private final class PaddedAtomic: @unchecked Sendable {
    private let before: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    let value = Atomic<Int>(0)
    private let after: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
}
