import Foundation
import Formats

extension PipelineLoader {
    /// A stage reference found in a parameter, with where it was written.
    struct FoundReference {
        var reference: StageReference
        var location: SourceLocation
        var parameter: String
    }

    /// One stage (or one instance of a `matrix:` stage, `matrix` holding its values): its keys, type,
    /// parameters (typed now, or deferred when they reference other stages), `needs`, `retries`. Problems
    /// that do not depend on the matrix values are reported for the first instance only (`first`).
    /// Returns nil when the stage is too broken to wire into the graph.
    func loadStage(_ entry: SpecEntry, matrix: [MatrixBinding], params: [String: SpecNode], first: Bool = true,
                   into diagnostics: inout [Diagnostic]) -> (PipelineStage, [(String, SourceLocation)], [FoundReference])? {
        let name = entry.key
        let id = Self.instanceID(name, matrix)
        let isMatrix = entry.value["matrix"] != nil
        var d: [Diagnostic] = []
        // Diagnostics that read the same for every instance go in `d` only for the first one.
        func structural(_ at: SourceLocation, _ message: String) {
            if first { d.append(Diagnostic(at, message)) }
        }
        defer { diagnostics.append(contentsOf: d) }
        guard let body = entry.value.entries else {
            structural(entry.value.location, "stage '\(name)' expects a mapping with 'uses:', got \(entry.value.kindName)")
            return nil
        }
        for e in body where !Self.stageKeys.contains(e.key) {
            structural(e.keyLocation, "stage '\(name)': unknown key '\(e.key)'" + hintOrExpected(e.key, Self.stageKeys))
        }
        // needs: a list of stage ids or one id.
        var needs: [(String, SourceLocation)] = []
        if let n = entry.value["needs"] {
            switch n {
            case .scalar(let s, let loc): if !s.isEmpty { needs.append((s, loc)) }
            case .list(let items, _):
                for item in items {
                    if let s = item.scalarValue { needs.append((s, item.location)) }
                    else { structural(item.location, "'needs' items are stage ids, got \(item.kindName)") }
                }
            case .map: structural(n.location, "'needs' expects a list of stage ids, got a mapping")
            }
        }
        var retries = 0
        if let r = entry.value["retries"] {
            if let s = r.scalarValue, let n = Int(s), n >= 0 { retries = n }
            else { structural(r.location, "'retries' expects a whole number ≥ 0, got " + (r.scalarValue.map { "'\($0)'" } ?? r.kindName)) }
        }
        guard let usesNode = entry.value["uses"] else {
            structural(entry.keyLocation, "stage '\(name)' has no 'uses:'; expected a stage type such as 'shell'")
            return nil
        }
        guard let uses = usesNode.scalarValue else {
            structural(usesNode.location, "'uses' expects a stage type name, got \(usesNode.kindName)")
            return nil
        }
        guard let type = registry.type(named: uses) else {
            structural(usesNode.location, "unknown stage type '\(uses)'" + EditDistance.hint(for: uses, among: registry.names)
                       + " (trellis stages lists them)")
            return nil
        }
        // Messages about values that differ between instances name the instance; the others the stage.
        let stageLabel = "stage '\(name)' (\(type.name))", instanceLabel = "stage '\(id)' (\(type.name))"
        var raw: [String: RawValue] = [:]
        var typed: [String: ParameterValue] = [:]
        var deferred: [String] = []
        var refs: [FoundReference] = []
        var valueLocations: [String: SourceLocation] = [:]
        var usesMatrix = Set<String>()
        let withNode = entry.value["with"]
        if let withNode, !(withNode.scalarValue == "") {
            if let entries = withNode.entries {
                for e in entries {
                    guard let spec = type.parameter(e.key) else {
                        structural(e.keyLocation, "unknown parameter '\(e.key)' for \(stageLabel)"
                                   + hintOrExpected(e.key, type.parameters.map(\.name)))
                        continue
                    }
                    valueLocations[e.key] = e.value.location
                    if Self.mentionsMatrix(e.value) { usesMatrix.insert(e.key) }
                    let value = substituteParams(e.value, params, matrix: isMatrix ? (name, matrix) : nil, into: &d)
                    raw[e.key] = value
                    let stageRefs = value.stageReferences
                    if !stageRefs.isEmpty {
                        deferred.append(e.key)
                        refs.append(contentsOf: stageRefs.map { FoundReference(reference: $0, location: e.value.location, parameter: e.key) })
                        continue
                    }
                    switch ParameterTyping.type(value, as: spec.type) {
                    case .ok(let v): typed[e.key] = v
                    case .bad(let m):
                        d.append(Diagnostic(e.value.location, "parameter '\(e.key)' of \(usesMatrix.contains(e.key) ? instanceLabel : stageLabel) \(m)"))
                    }
                }
            } else {
                structural(withNode.location, "'with' expects a mapping of parameters, got \(withNode.kindName)")
            }
        }
        for p in type.parameters where raw[p.name] == nil {
            if let v = p.defaultValue { typed[p.name] = v }
            else if p.required {
                let withKey = body.first { $0.key == "with" }?.keyLocation
                structural(withKey ?? entry.keyLocation, "missing required parameter '\(p.name)' for \(stageLabel)")
            }
        }
        let typedParameters = TypedParameters(typed, projectDirectory: projectDirectory)
        if deferred.isEmpty {
            for (p, m) in type.validate(typedParameters) {
                d.append(Diagnostic(valueLocations[p] ?? entry.keyLocation,
                                    "parameter '\(p)' of \(usesMatrix.contains(p) ? instanceLabel : stageLabel): \(m)"))
            }
        }
        var stage = PipelineStage(id: id, name: name, matrix: matrix, location: entry.keyLocation, type: type, raw: raw,
                                  typed: typed, deferred: deferred, dependencies: [], needs: [], retries: retries,
                                  outputs: type.declaredOutputs(typedParameters))
        var shardingProblems: [Diagnostic] = []
        loadSharding(entry, into: &stage, &shardingProblems)
        if first { d.append(contentsOf: shardingProblems) }
        return (stage, needs, refs)
    }
}
