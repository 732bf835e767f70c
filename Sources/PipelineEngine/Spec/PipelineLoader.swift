import Foundation
import Formats

/// Turns a parsed spec into a `Pipeline`, reporting every problem at once, each with its position.
public struct PipelineLoader {
    public var registry: StageRegistry
    public var projectDirectory: URL

    static let topKeys = ["name", "description", "params", "stages", "executor"]
    static let stageKeys = ["uses", "needs", "with", "matrix", "retries", "description", "shards", "resources"]

    public init(registry: StageRegistry, projectDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        self.registry = registry
        self.projectDirectory = projectDirectory
    }

    /// Parses and validates the spec at `path`; `overrides` are `-p key=value` arguments as given.
    public func load(path: String, overrides: [String] = []) throws -> Pipeline {
        try load(root: SpecParser.parse(contentsOf: path), file: path, overrides: overrides)
    }

    /// Validates spec text (used by tests and benchmarks).
    public func load(text: String, file: String, overrides: [String] = []) throws -> Pipeline {
        try load(root: SpecParser.parse(text, file: file), file: file, overrides: overrides)
    }

    func load(root: SpecNode, file: String, overrides: [String]) throws -> Pipeline {
        var d: [Diagnostic] = []
        guard let top = root.entries else {
            throw PipelineError.spec(root.location, "a spec is a mapping with 'stages:' (and optionally 'name:', 'params:'); got \(root.kindName)")
        }
        for e in top where !Self.topKeys.contains(e.key) {
            d.append(Diagnostic(e.keyLocation, "unknown top-level key '\(e.key)'" + hintOrExpected(e.key, Self.topKeys)))
        }
        var name = PathName.stem(file)
        if let n = root["name"] {
            if let s = n.scalarValue, !s.isEmpty { name = s } else { d.append(Diagnostic(n.location, "'name' expects a scalar, got \(n.kindName)")) }
        }
        let params = loadParams(root["params"], overrides: overrides, into: &d)

        guard let stagesNode = root["stages"] else {
            d.append(Diagnostic(root.location, "missing 'stages:'; a spec needs at least one stage"))
            throw PipelineError.invalidSpec(d)
        }
        guard let stageEntries = stagesNode.entries else {
            d.append(Diagnostic(stagesNode.location, "'stages' expects a mapping of stage ids to stages, got \(stagesNode.kindName)"))
            throw PipelineError.invalidSpec(d)
        }
        var stages: [PipelineStage] = []
        var index: [String: Int] = [:]
        var groups: [String: [Int]] = [:]
        var needsNodes: [[(String, SourceLocation)]] = []
        var refs: [[FoundReference]] = []
        stages.reserveCapacity(stageEntries.count)
        for entry in stageEntries {
            if !Reference.isName(entry.key) {
                d.append(Diagnostic(entry.keyLocation, "stage id '\(entry.key)' may only hold letters, digits, '_' and '-'"))
            }
            guard let combinations = loadMatrix(entry, params: params, into: &d) else { continue }
            for (n, bindings) in combinations.enumerated() {
                guard let (stage, needs, stageRefs) = loadStage(entry, matrix: bindings, params: params, first: n == 0, into: &d) else { break }
                index[stage.id] = stages.count
                groups[entry.key, default: []].append(stages.count)
                stages.append(stage)
                needsNodes.append(needs)
                refs.append(stageRefs)
            }
        }
        // Wire dependencies now that every id is known.
        let names = stageEntries.map(\.key)
        for i in stages.indices {
            var deps = Set<Int>()
            var needs: [Int] = []
            for (n, at) in needsNodes[i] {
                if let t = target(n, from: stages[i], groups: groups, stages: stages, at: at, into: &d) {
                    deps.formUnion(t.stages); needs.append(contentsOf: t.stages)
                } else if let j = index[n] {
                    deps.insert(j); needs.append(j)
                } else if !names.contains(n) {
                    d.append(Diagnostic(at, "stage '\(stages[i].name)' needs unknown stage '\(n)'" + EditDistance.hint(for: n, among: names)))
                }
            }
            for found in refs[i] {
                let (r, at) = (found.reference, found.location)
                guard let t = target(r.stage, from: stages[i], groups: groups, stages: stages, at: at, into: &d) else {
                    if !names.contains(r.stage) {
                        d.append(Diagnostic(at, "reference to unknown stage '\(r.stage)'" + EditDistance.hint(for: r.stage, among: names)))
                    }
                    continue
                }
                guard !t.stages.isEmpty else { continue }
                deps.formUnion(t.stages)
                stages[i].referenceTargets[r.stage] = t
                if t.gathers, let spec = stages[i].type.parameter(found.parameter),
                   !Self.gathersIntoList(stages[i].raw[found.parameter]!, spec.type, stage: r.stage) {
                    let target = stages[t.stages[0]]
                    d.append(Diagnostic(at, "parameter '\(found.parameter)' of stage '\(stages[i].name)' (\(stages[i].type.name)) is \(spec.type.phrase), "
                                        + "but '${stages.\(r.stage).outputs.\(r.output)}' is the list of that output of every instance of matrix stage '\(r.stage)' ("
                                        + target.matrix.map(\.key).joined(separator: ", ") + "); pass it to a list parameter, or give this stage the same matrix"))
                }
                for j in t.stages.prefix(1) {
                    let known = stages[j].outputs
                    if !stages[j].deferred.contains("outputs") && !known.contains(r.output) {
                        let list = known.isEmpty ? "it has no outputs" : "it has: " + known.joined(separator: ", ")
                        d.append(Diagnostic(at, "stage '\(r.stage)' (\(stages[j].type.name)) has no output '\(r.output)'"
                                            + (EditDistance.suggestion(for: r.output, among: known).map { "; did you mean '\($0)'?" } ?? "; \(list)")))
                    }
                }
            }
            stages[i].dependencies = deps.sorted()
            stages[i].needs = needs
        }
        if !d.isEmpty { throw PipelineError.invalidSpec(Self.unique(d)) }
        let order = try PipelineGraph.topologicalOrder(stages)
        checkOutputs(stages, into: &d)
        if !d.isEmpty { throw PipelineError.invalidSpec(d) }
        var pipeline = Pipeline(file: file, name: name, stages: stages, index: index, order: order)
        pipeline.groups = groups
        pipeline.parameters = (root["params"]?.entries ?? []).map { ($0.key, params[$0.key]?.displayText ?? "") }
        pipeline.overrides = overrides
        pipeline.executor = loadExecutor(root["executor"], into: &d)
        if !d.isEmpty { throw PipelineError.invalidSpec(d) }
        return pipeline
    }

    /// `diagnostics` without repeats (instances of a matrix stage report a shared problem once each).
    static func unique(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return diagnostics.filter { seen.insert($0).inserted }
    }

    func hintOrExpected(_ word: String, _ candidates: [String]) -> String {
        if let s = EditDistance.suggestion(for: word, among: candidates) { return "; did you mean '\(s)'?" }
        return "; expected one of: " + candidates.joined(separator: ", ")
    }

    // MARK: Params

    /// `params:` with `-p key=value` applied; a value that is a reference to another param is not allowed.
    func loadParams(_ node: SpecNode?, overrides: [String], into d: inout [Diagnostic]) -> [String: SpecNode] {
        var params: [String: SpecNode] = [:]
        var order: [String] = []
        if let node {
            if let entries = node.entries {
                for e in entries { params[e.key] = e.value; order.append(e.key) }
            } else if node.scalarValue != "" {
                d.append(Diagnostic(node.location, "'params' expects a mapping of names to values, got \(node.kindName)"))
            }
        }
        for o in overrides {
            let at = SourceLocation(path: "-p \(o)", offset: 0, line: 0, column: 0)
            guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                d.append(Diagnostic(at, "expected -p key=value"))
                continue
            }
            let key = String(o[..<eq]), value = String(o[o.index(after: eq)...])
            guard params[key] != nil else {
                d.append(Diagnostic(at, "unknown pipeline parameter '\(key)'"
                                    + (EditDistance.suggestion(for: key, among: order).map { "; did you mean '\($0)'?" }
                                       ?? (order.isEmpty ? "; the spec declares no params" : "; declared: " + order.joined(separator: ", ")))))
                continue
            }
            if params[key]?.items != nil && value.contains(",") {
                // A list param (e.g. several input files): -p key=a,b (or [a, b]) gives the list [a, b].
                var body = Substring(value.trimmingCharacters(in: .whitespaces))
                if body.hasPrefix("[") && body.hasSuffix("]") { body = body.dropFirst().dropLast() }
                params[key] = .list(body.split(separator: ",").map { .scalar($0.trimmingCharacters(in: .whitespaces), at) }, at)
            } else {
                params[key] = .scalar(value, at)
            }
        }
        return params
    }

    /// Replaces `${params.x}` and `${matrix.k}` in `node`; a scalar that is exactly one param reference takes
    /// the param's shape. `matrix` is the stage's name and values when it has `matrix:`.
    func substituteParams(_ node: SpecNode, _ params: [String: SpecNode], matrix: (stage: String, values: [MatrixBinding])? = nil,
                          into d: inout [Diagnostic]) -> RawValue {
        switch node {
        case .scalar(let s, let loc):
            let found = Reference.scan(s)
            if found.isEmpty { return .text(s) }
            func at(_ r: Reference) -> SourceLocation {
                SourceLocation(path: loc.path, offset: loc.offset + s[..<r.range.lowerBound].utf8.count, line: loc.line,
                               column: loc.column + r.offset)
            }
            var out = s
            var ok = true
            for r in found.reversed() {
                switch r.kind {
                case .malformed(let m):
                    d.append(Diagnostic(at(r), m)); ok = false
                case .stage:
                    break
                case .matrix(let k):
                    guard let matrix else {
                        d.append(Diagnostic(at(r), "'${matrix.\(k)}' can only be used in 'with:' of a stage with 'matrix:'")); ok = false
                        continue
                    }
                    guard let binding = matrix.values.first(where: { $0.key == k }) else {
                        let keys = matrix.values.map(\.key)
                        d.append(Diagnostic(at(r), "unknown matrix key '\(k)' in '${matrix.\(k)}'"
                                            + (EditDistance.suggestion(for: k, among: keys).map { "; did you mean '\($0)'?" }
                                               ?? "; stage '\(matrix.stage)' has: " + keys.joined(separator: ", "))))
                        ok = false
                        continue
                    }
                    out.replaceSubrange(r.range, with: r.quoted ? ShellQuoting.quote(binding.value) : binding.value)
                case .param(let p):
                    guard let value = params[p] else {
                        let names = params.keys.sorted()
                        d.append(Diagnostic(at(r), "unknown parameter reference '${params.\(p)}'"
                                            + (EditDistance.suggestion(for: p, among: names).map { "; did you mean '\($0)'?" }
                                               ?? (names.isEmpty ? "; the spec declares no params" : "; declared: " + names.joined(separator: ", ")))))
                        ok = false
                        continue
                    }
                    if found.count == 1 && r.range == s.startIndex..<s.endIndex && !r.quoted { return RawValue(value) }
                    guard let text = r.quoted ? flatText(value, quoting: true) : flatText(value) else {
                        d.append(Diagnostic(at(r), "parameter '\(p)' is a mapping and cannot be inserted into text"))
                        ok = false
                        continue
                    }
                    out.replaceSubrange(r.range, with: text)
                }
            }
            return .text(ok ? out : s)
        case .list(let items, _):
            return .list(items.map { substituteParams($0, params, matrix: matrix, into: &d) })
        case .map(let entries, _):
            var m: [String: RawValue] = [:]
            for e in entries { m[e.key] = substituteParams(e.value, params, matrix: matrix, into: &d) }
            return .map(m)
        }
    }

    /// A scalar's text, or a list's items joined by spaces; with `quoting`, each leaf shell-quoted (`:q`).
    func flatText(_ node: SpecNode, quoting: Bool = false) -> String? {
        switch node {
        case .scalar(let s, _): return quoting ? ShellQuoting.quote(s) : s
        case .list(let items, _):
            let parts = items.compactMap { flatText($0, quoting: quoting) }
            return parts.count == items.count ? parts.joined(separator: " ") : nil
        case .map: return nil
        }
    }
}
