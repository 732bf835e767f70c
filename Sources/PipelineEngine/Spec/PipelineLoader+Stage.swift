import Foundation

extension PipelineLoader {
    /// One stage: its keys, type, parameters (typed now, or deferred when they reference other stages),
    /// `needs`, `retries`. Returns nil when the stage is too broken to wire into the graph.
    func loadStage(_ entry: SpecEntry, params: [String: SpecNode], into d: inout [Diagnostic])
        -> (PipelineStage, [(String, SourceLocation)], [(StageReference, SourceLocation)])?
    {
        let id = entry.key
        guard let body = entry.value.entries else {
            d.append(Diagnostic(entry.value.location, "stage '\(id)' expects a mapping with 'uses:', got \(entry.value.kindName)"))
            return nil
        }
        for e in body where !Self.stageKeys.contains(e.key) {
            d.append(Diagnostic(e.keyLocation, "stage '\(id)': unknown key '\(e.key)'" + hintOrExpected(e.key, Self.stageKeys)))
        }
        // needs: a list of stage ids or one id.
        var needs: [(String, SourceLocation)] = []
        if let n = entry.value["needs"] {
            switch n {
            case .scalar(let s, let loc): if !s.isEmpty { needs.append((s, loc)) }
            case .list(let items, _):
                for item in items {
                    if let s = item.scalarValue { needs.append((s, item.location)) }
                    else { d.append(Diagnostic(item.location, "'needs' items are stage ids, got \(item.kindName)")) }
                }
            case .map: d.append(Diagnostic(n.location, "'needs' expects a list of stage ids, got a mapping"))
            }
        }
        var retries = 0
        if let r = entry.value["retries"] {
            if let s = r.scalarValue, let n = Int(s), n >= 0 { retries = n }
            else { d.append(Diagnostic(r.location, "'retries' expects a whole number ≥ 0, got " + (r.scalarValue.map { "'\($0)'" } ?? r.kindName))) }
        }
        guard let usesNode = entry.value["uses"] else {
            d.append(Diagnostic(entry.keyLocation, "stage '\(id)' has no 'uses:'; expected a stage type such as 'shell'"))
            return nil
        }
        guard let uses = usesNode.scalarValue else {
            d.append(Diagnostic(usesNode.location, "'uses' expects a stage type name, got \(usesNode.kindName)"))
            return nil
        }
        guard let type = registry.type(named: uses) else {
            d.append(Diagnostic(usesNode.location, "unknown stage type '\(uses)'" + EditDistance.hint(for: uses, among: registry.names)
                                + " (trellis stages lists them)"))
            return nil
        }
        let label = "stage '\(id)' (\(type.name))"
        var raw: [String: RawValue] = [:]
        var typed: [String: ParameterValue] = [:]
        var deferred: [String] = []
        var refs: [(StageReference, SourceLocation)] = []
        var valueLocations: [String: SourceLocation] = [:]
        let withNode = entry.value["with"]
        if let withNode, !(withNode.scalarValue == "") {
            if let entries = withNode.entries {
                for e in entries {
                    guard let spec = type.parameter(e.key) else {
                        d.append(Diagnostic(e.keyLocation, "unknown parameter '\(e.key)' for \(label)"
                                            + hintOrExpected(e.key, type.parameters.map(\.name))))
                        continue
                    }
                    valueLocations[e.key] = e.value.location
                    let value = substituteParams(e.value, params, into: &d)
                    raw[e.key] = value
                    let stageRefs = value.stageReferences
                    if !stageRefs.isEmpty {
                        deferred.append(e.key)
                        refs.append(contentsOf: stageRefs.map { ($0, e.value.location) })
                        continue
                    }
                    switch ParameterTyping.type(value, as: spec.type) {
                    case .ok(let v): typed[e.key] = v
                    case .bad(let m): d.append(Diagnostic(e.value.location, "parameter '\(e.key)' of \(label) \(m)"))
                    }
                }
            } else {
                d.append(Diagnostic(withNode.location, "'with' expects a mapping of parameters, got \(withNode.kindName)"))
            }
        }
        for p in type.parameters where raw[p.name] == nil {
            if let v = p.defaultValue { typed[p.name] = v }
            else if p.required {
                let withKey = body.first { $0.key == "with" }?.keyLocation
                d.append(Diagnostic(withKey ?? entry.keyLocation,
                                    "missing required parameter '\(p.name)' for \(label)"))
            }
        }
        let typedParameters = TypedParameters(typed, projectDirectory: projectDirectory)
        if deferred.isEmpty {
            for (p, m) in type.validate(typedParameters) {
                d.append(Diagnostic(valueLocations[p] ?? entry.keyLocation, "parameter '\(p)' of \(label): \(m)"))
            }
        }
        let stage = PipelineStage(id: id, location: entry.keyLocation, type: type, raw: raw, typed: typed,
                                  deferred: deferred, dependencies: [], needs: [], retries: retries,
                                  outputs: type.declaredOutputs(typedParameters))
        return (stage, needs, refs)
    }
}
