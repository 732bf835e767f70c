import Foundation

/// User + system CPU seconds of this process, all threads. Throughput per CPU-second does not depend on how
/// much of a shared machine a run got, unlike wall time.
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
