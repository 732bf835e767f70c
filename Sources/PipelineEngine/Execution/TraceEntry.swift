import Foundation

/// One line of a run's `trace.jsonl`: what happened to one stage.
public struct TraceEntry: Codable, Sendable {
    public var stage: String
    public var type: String
    public var key: String?
    public var cached: Bool
    /// `done`, `cached`, `failed`, `skipped` or `cancelled`.
    public var status: String
    /// Seconds since 1970.
    public var start: Double
    public var end: Double
    public var wall: Double
    /// User + system CPU seconds: the stage's thread plus the child processes it waited for.
    public var cpu: Double
    /// The stage's own peak memory in KiB: the peak resident set of its child processes, or for in-process
    /// stages how far the trellis process's resident set rose above its level when the stage started.
    public var peakRSSKB: Int
    /// 0 on success; a child's exit status, or 1 for an in-process failure.
    public var exitStatus: Int
    public var attempts: Int
    public var error: String?
    public var log: String?

    enum CodingKeys: String, CodingKey {
        case stage, type, key, cached, status, start, end, wall, cpu, attempts, error, log
        case peakRSSKB = "peak_rss_kb"
        case exitStatus = "exit_status"
    }
}
