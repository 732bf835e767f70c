import Foundation

extension PipelineLoader {
    /// The executors `executor:` may name.
    public static let executors = ["local", "slurm"]

    /// `executor: local|slurm` at the top of a spec.
    func loadExecutor(_ node: SpecNode?, into d: inout [Diagnostic]) -> String? {
        guard let node else { return nil }
        guard let s = node.scalarValue, Self.executors.contains(s) else {
            d.append(Diagnostic(node.location, "'executor' expects one of: " + Self.executors.joined(separator: ", ")
                                + ", got " + (node.scalarValue.map { "'\($0)'" + EditDistance.hint(for: $0, among: Self.executors) } ?? node.kindName)))
            return nil
        }
        return s
    }

    /// A stage's `shards: N` (record-mapping stage types only) and `resources:` mapping.
    func loadSharding(_ entry: SpecEntry, into stage: inout PipelineStage, _ d: inout [Diagnostic]) {
        if let n = entry.value["shards"] {
            if let s = n.scalarValue, let count = Int(s), count >= 1, count <= 100_000 {
                if stage.type is RecordMappingStage { stage.shards = count }
                else {
                    d.append(Diagnostic(n.location, "stage '\(stage.name)' (\(stage.type.name)) does not map over records, so it cannot be sharded"))
                }
            } else {
                d.append(Diagnostic(n.location, "'shards' expects a whole number from 1 to 100000, got " + (n.scalarValue.map { "'\($0)'" } ?? n.kindName)))
            }
        }
        if let r = entry.value["resources"] {
            guard let entries = r.entries else {
                d.append(Diagnostic(r.location, "'resources' expects a mapping (cpus, mem, time, partition, account), got \(r.kindName)"))
                return
            }
            for e in entries {
                guard let text = e.value.scalarValue else {
                    d.append(Diagnostic(e.value.location, "resource '\(e.key)' expects a scalar, got \(e.value.kindName)"))
                    continue
                }
                if let problem = stage.resources.set(e.key, text) {
                    d.append(Diagnostic(ShardResources.keys.contains(e.key) ? e.value.location : e.keyLocation, problem))
                }
            }
        }
    }
}
