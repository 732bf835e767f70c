import Foundation

/// What a finished stage leaves in the work directory. A stage is done exactly when its record exists
/// under `records/<key>.json`; the components that made the key are kept so a later plan can say
/// which one changed.
public struct StageRecord: Codable, Sendable {
    public var stage: String
    public var pipeline: String
    public var spec: String
    public var type: String
    public var version: Int
    public var key: String
    /// Named cache-key components: `code`, `param:<name>`, `input:<path>`, `model:<param>`, `upstream:<stage>`,
    /// `gather:<matrix stage>` (the instances a gathered list holds, in order).
    public var components: [String: String]
    /// Stamps of input and model files (absolute path → size, mtime, digest) for the fast path.
    public var inputs: [String: FileStamp]
    public var outputs: [String: OutputValue]
    /// Stamps of published files (path as declared → stamp), checked before reusing the record.
    public var outputFiles: [String: FileStamp]
    /// Digest over every output's content; the `upstream:` component of stages that depend on this one.
    public var outputDigest: String
    public var started: Double
    public var finished: Double
    public var cpuSeconds: Double
    public var peakRSSKB: Int
    public var attempts: Int
    public var log: String?
}

/// Combines named components into a key: SHA-256 of the sorted `name=value` lines, 32 hex digits.
public enum CacheKey {
    public static func make(_ components: [String: String]) -> String {
        var h = SHA256()
        for name in components.keys.sorted() {
            h.update(name)
            h.update("=")
            h.update(components[name]!)
            h.update("\n")
        }
        return String(h.finalizeHex().prefix(32))
    }
}
