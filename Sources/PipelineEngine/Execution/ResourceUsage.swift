import Foundation

/// CPU time and peak memory, from getrusage.
public enum ResourceUsage {
    /// User + system CPU seconds of the calling thread.
    static func threadCPU() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(1), &u)  // RUSAGE_THREAD (Linux)
        return seconds(u)
    }

    /// Peak resident set of this process so far, in KiB.
    public static func processPeakRSSKB() -> Int {
        var u = rusage()
        getrusage(__rusage_who_t(0), &u)  // RUSAGE_SELF
        return Int(u.ru_maxrss)
    }

    static func seconds(_ u: rusage) -> Double {
        Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }

    /// Wall-clock seconds since 1970.
    public static func now() -> Double { Date().timeIntervalSince1970 }
}
