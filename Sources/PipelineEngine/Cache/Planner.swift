import Foundation

/// One line of `trellis plan`.
public struct PlanEntry: Sendable {
    public enum Action: String, Sendable { case run, cached }
    public var stage: String
    public var type: String
    public var action: Action
    /// Why it runs (`new`, `parameter changed: x`, `input changed: path`, `upstream will run: s`, …), or `cached`.
    public var reasons: [String]
    /// The stage's key when it can be known before running (all upstream stages cached).
    public var key: String?
    /// Input or model paths written literally in the spec that do not exist: a run would fail on them.
    public var missing: [String] = []
}

/// The dry run: what `trellis run` would do and why, touching nothing.
public enum Planner {
    public static func plan(_ pipeline: Pipeline, workDirectory: URL, projectDirectory: URL, deep: Bool = false) throws -> [PlanEntry] {
        let work = WorkDirectory(root: workDirectory)
        let keying = StageKeying(work: work, pipeline: pipeline.name, projectDirectory: projectDirectory, deep: deep)
        var entries = [PlanEntry?](repeating: nil, count: pipeline.stages.count)
        var records = [StageRecord?](repeating: nil, count: pipeline.stages.count)
        for i in pipeline.order {
            let stage = pipeline.stages[i]
            let runningUpstream = stage.dependencies.filter { entries[$0]!.action == .run }
            if !runningUpstream.isEmpty {
                // Upstream digests are unknown until it runs; still list this stage's own changes.
                var reasons = ["upstream will run: " + runningUpstream.map { pipeline.stages[$0].id }.joined(separator: ", ")]
                if let prev = keying.previous[stage.id] {
                    let (own, _) = try keying.components(stage, upstream: [:])
                    let mine = prev.components.filter { !$0.key.hasPrefix("upstream:") }
                    if mine != own { reasons += keying.reasons(stage: stage.id, components: own.merging(prev.components.filter { $0.key.hasPrefix("upstream:") }) { a, _ in a }, problem: nil) }
                } else {
                    reasons = ["new"] + reasons
                }
                entries[i] = PlanEntry(stage: stage.id, type: stage.type.name, action: .run, reasons: reasons, key: nil,
                                       missing: Self.missing(try keying.components(stage, upstream: [:]).components))
                continue
            }
            var digests: [String: String] = [:]
            for j in stage.dependencies { digests[pipeline.stages[j].id] = records[j]!.outputDigest }
            let (components, _) = try keying.components(stage, upstream: digests)
            let key = CacheKey.make(components)
            let (record, problem) = keying.reusable(key: key)
            if let record {
                records[i] = record
                entries[i] = PlanEntry(stage: stage.id, type: stage.type.name, action: .cached, reasons: ["cached"], key: key)
            } else {
                entries[i] = PlanEntry(stage: stage.id, type: stage.type.name, action: .run,
                                       reasons: keying.reasons(stage: stage.id, components: components, problem: problem), key: key,
                                       missing: missing(components))
            }
        }
        return entries.map { $0! }
    }

    /// The literal input and model paths of a stage's key components that do not exist.
    static func missing(_ components: [String: String]) -> [String] {
        components.filter { ($0.key.hasPrefix("input:") || $0.key.hasPrefix("model:")) && $0.value == "missing" }
            .map { String($0.key.drop { $0 != ":" }.dropFirst()) }.sorted()
    }

    /// The plan as an aligned table.
    public static func format(_ entries: [PlanEntry]) -> String {
        let w1 = max(5, entries.map(\.stage.count).max() ?? 0), w2 = max(4, entries.map(\.type.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: w, withPad: " ", startingAt: 0) }
        var out = pad("STAGE", w1) + "  " + pad("TYPE", w2) + "  ACTION  WHY\n"
        for e in entries {
            let why = e.reasons + e.missing.map { "MISSING INPUT: \($0)" }
            out += pad(e.stage, w1) + "  " + pad(e.type, w2) + "  " + pad(e.action.rawValue, 6) + "  " + why.joined(separator: "; ") + "\n"
        }
        let run = entries.filter { $0.action == .run }.count
        out += "\(run) to run, \(entries.count - run) cached\n"
        return out
    }
}
