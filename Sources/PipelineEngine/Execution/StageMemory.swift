import Foundation

/// The memory one in-process stage used: the highest resident set seen while it ran (sampled every 50 ms,
/// and the process high-water mark when the stage raised it) minus the resident set when it started.
/// Stages running at the same time share one process, so each one's figure also counts what the others
/// allocated meanwhile; a stage that runs child processes reports their peak instead (from `wait4`).
final class StageMemory: @unchecked Sendable {
    private let startKB: Int
    private let startPeakKB: Int
    private var maxKB: Int
    private let lock = NSLock()

    /// Starts measuring (and sampling, while any measurement is open).
    init() {
        startKB = StageMemory.residentKB()
        startPeakKB = ResourceUsage.processPeakRSSKB()
        maxKB = startKB
        StageMemory.sampler.add(self)
    }

    /// Stops measuring; the growth in KiB (0 when the stage freed more than it kept).
    func finish() -> Int {
        StageMemory.sampler.remove(self)
        sample(StageMemory.residentKB())
        let peak = ResourceUsage.processPeakRSSKB()
        lock.lock(); defer { lock.unlock() }
        // A raised high-water mark was reached during this stage: a peak between two samples.
        if peak > startPeakKB { maxKB = max(maxKB, peak) }
        return max(0, maxKB - startKB)
    }

    func sample(_ kb: Int) {
        lock.lock(); maxKB = max(maxKB, kb); lock.unlock()
    }

    /// Resident set of this process now, in KiB (0 where /proc is missing).
    static func residentKB() -> Int {
        // /proc/self/statm: size resident shared ... in pages.
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * (Int(sysconf(Int32(_SC_PAGESIZE))) / 1024)
    }

    static let sampler = Sampler()

    /// One timer for all open measurements, running only while there are some.
    final class Sampler: @unchecked Sendable {
        private var open: [ObjectIdentifier: StageMemory] = [:]
        private var timer: DispatchSourceTimer?
        private let lock = NSLock()

        func add(_ m: StageMemory) {
            lock.lock(); defer { lock.unlock() }
            open[ObjectIdentifier(m)] = m
            guard timer == nil else { return }
            let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
            t.schedule(deadline: .now() + 0.05, repeating: 0.05)
            t.setEventHandler { [weak self] in self?.tick() }
            t.resume()
            timer = t
        }

        func remove(_ m: StageMemory) {
            lock.lock(); defer { lock.unlock() }
            open[ObjectIdentifier(m)] = nil
            if open.isEmpty { timer?.cancel(); timer = nil }
        }

        private func tick() {
            let kb = StageMemory.residentKB()
            lock.lock(); let all = Array(open.values); lock.unlock()
            for m in all { m.sample(kb) }
        }
    }
}
