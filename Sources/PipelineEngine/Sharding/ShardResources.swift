import Foundation

/// Per-shard resources a cluster executor requests (`resources:` of a stage or a profile). The local
/// executor ignores them.
public struct ShardResources: Sendable, Equatable {
    public var cpus: Int?
    /// Memory in MiB.
    public var memoryMB: Int?
    /// Wall-time limit as Slurm reads it (`MM`, `HH:MM:SS`, `D-HH:MM:SS`).
    public var time: String?
    public var partition: String?
    public var account: String?

    public init(cpus: Int? = nil, memoryMB: Int? = nil, time: String? = nil, partition: String? = nil, account: String? = nil) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.time = time
        self.partition = partition
        self.account = account
    }

    public static let keys = ["cpus", "mem", "time", "partition", "account"]

    /// `self` with unset fields taken from `defaults`.
    public func over(_ defaults: ShardResources) -> ShardResources {
        ShardResources(cpus: cpus ?? defaults.cpus, memoryMB: memoryMB ?? defaults.memoryMB, time: time ?? defaults.time,
                       partition: partition ?? defaults.partition, account: account ?? defaults.account)
    }

    /// Sets `key` from spec text, or returns what was expected.
    public mutating func set(_ key: String, _ text: String) -> String? {
        switch key {
        case "cpus":
            guard let n = Int(text), n >= 1 else { return "'cpus' expects a whole number ≥ 1, got '\(text)'" }
            cpus = n
        case "mem":
            guard let mb = Self.megabytes(text) else { return "'mem' expects a size such as 500M, 4G or 2048 (MiB), got '\(text)'" }
            memoryMB = mb
        case "time":
            guard text.range(of: #"^(\d+-)?\d+(:\d{1,2}){0,2}$"#, options: .regularExpression) != nil else {
                return "'time' expects minutes, HH:MM:SS or D-HH:MM:SS, got '\(text)'"
            }
            time = text
        case "partition": partition = text
        case "account": account = text
        default: return "unknown resource '\(key)'" + EditDistance.hint(for: key, among: Self.keys)
        }
        return nil
    }

    /// `500M`, `4G`, `1T`, `2048` (MiB) → MiB.
    static func megabytes(_ text: String) -> Int? {
        let t = text.uppercased().replacingOccurrences(of: "B", with: "")
        guard let last = t.last else { return nil }
        let scale: Double
        var digits = t
        switch last {
        case "K": scale = 1.0 / 1024; digits.removeLast()
        case "M": scale = 1; digits.removeLast()
        case "G": scale = 1024; digits.removeLast()
        case "T": scale = 1024 * 1024; digits.removeLast()
        default: scale = 1
        }
        // Bounded before converting: `1e300G` or `inf` must be an error, not a trap in Int(_:).
        guard let v = Double(digits), v > 0, (v * scale).isFinite, v * scale <= Double(1 << 40) else { return nil }
        return max(1, Int((v * scale).rounded(.up)))
    }
}
