import Foundation
import Formats

/// What a `--profile` run prints and writes: wall time per operation class, the unaccounted rest, and the
/// idle thread time of parallel regions.
public struct ProfileReport: Sendable {
    public struct Row: Sendable {
        public var name: String
        public var seconds: Double
        public var calls: Int
    }

    /// Wall time of the profiled run.
    public var wallSeconds: Double
    /// One row per `ProfileClass`, in declaration order (zero rows included).
    public var rows: [Row]
    /// Thread-seconds parallel regions held threads without work (see `Profiler.idleThreads()`).
    public var idleThreadSeconds: Double
    /// Thread-seconds of the parallel regions (threads × wall), for the idle share.
    public var parallelThreadSeconds: Double
    public var parallelRegions: Int
    /// Kernel threads (`Parallel.threadCount`) during the run.
    public var threads: Int

    /// Sum of the class rows: at most the wall time, since only the outermost region of a thread counts.
    public var accountedSeconds: Double { rows.reduce(0) { $0 + $1.seconds } }
    /// Wall time outside every timed region (work not instrumented, or time on other threads).
    public var unaccountedSeconds: Double { wallSeconds - accountedSeconds }

    /// The totals collected since `Profiler.reset()`, for a run that took `wallSeconds`.
    public static func capture(wallSeconds: Double) -> ProfileReport {
        let idle = Profiler.idleThreads()
        return ProfileReport(wallSeconds: wallSeconds,
                             rows: Profiler.snapshot().map { Row(name: $0.category.name, seconds: $0.seconds, calls: $0.count) },
                             idleThreadSeconds: idle.seconds, parallelThreadSeconds: idle.threadSeconds,
                             parallelRegions: idle.regions, threads: Parallel.threadCount)
    }

    /// A plain-text table: class, seconds, % of wall, calls; then the sum, unaccounted, wall and idle threads.
    public func table() -> String {
        func pct(_ s: Double) -> String { wallSeconds > 0 ? String(format: "%6.1f", 100 * s / wallSeconds) : "     –" }
        func line(_ name: String, _ s: Double, _ calls: String) -> String {
            name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%10.3f", s) + "  " + pct(s) + "  " + calls
        }
        var out = ["profile (wall seconds per operation class; outermost timed region per thread)",
                   "class                  seconds  % wall  calls"]
        for r in rows { out.append(line(r.name, r.seconds, String(r.calls))) }
        out.append(line("sum of classes", accountedSeconds, ""))
        out.append(line("unaccounted", unaccountedSeconds, ""))
        out.append(line("wall", wallSeconds, ""))
        let share = parallelThreadSeconds > 0 ? String(format: "%.1f%%", 100 * idleThreadSeconds / parallelThreadSeconds) : "–"
        out.append(String(format: "idle threads: %.3f thread-seconds in %d parallel regions (%@ of their %.3f thread-seconds; %d threads)",
                          idleThreadSeconds, parallelRegions, share, parallelThreadSeconds, threads))
        return out.joined(separator: "\n")
    }

    /// The same as JSON: {"wall_seconds", "classes": [{"class", "seconds", "fraction_of_wall", "calls"}],
    /// "sum_seconds", "unaccounted_seconds", "idle_thread_seconds", "parallel_thread_seconds",
    /// "parallel_regions", "threads"}.
    public var jsonValue: JSONValue {
        let classes = rows.map {
            JSONValue(["class": JSONValue($0.name), "seconds": JSONValue($0.seconds), "calls": JSONValue($0.calls),
                       "fraction_of_wall": JSONValue(wallSeconds > 0 ? $0.seconds / wallSeconds : 0)])
        }
        return JSONValue(["wall_seconds": JSONValue(wallSeconds), "classes": JSONValue(classes),
                          "sum_seconds": JSONValue(accountedSeconds), "unaccounted_seconds": JSONValue(unaccountedSeconds),
                          "idle_thread_seconds": JSONValue(idleThreadSeconds),
                          "parallel_thread_seconds": JSONValue(parallelThreadSeconds),
                          "parallel_regions": JSONValue(parallelRegions), "threads": JSONValue(threads)])
    }

    /// `jsonValue` as pretty-printed bytes (throws only for a non-finite time).
    public func json() throws -> Data { Data(try JSONWriter.bytes(jsonValue, pretty: true)) }
}

/// One profiled run: `start()` zeroes the totals and turns profiling on; `finish()` turns it off and reports.
public struct ProfileSession {
    let start: UInt64
    let wasEnabled: Bool

    /// Zeroes the profiler and enables it.
    public init() {
        wasEnabled = Profiler.isEnabled
        Profiler.reset()
        Profiler.isEnabled = true
        start = DispatchTime.now().uptimeNanoseconds
    }

    /// The report of the run so far; profiling goes back to what it was before `init()`.
    public func finish() -> ProfileReport {
        let wall = Double(DispatchTime.now().uptimeNanoseconds &- start) / 1e9
        Profiler.isEnabled = wasEnabled
        return ProfileReport.capture(wallSeconds: wall)
    }
}
