import Foundation
import Formats

/// `matrix:` stages. A stage with
///
///     matrix:
///       K: [16, 32]
///       seed: [1, 2]
///
/// becomes one stage per combination of the values (the cartesian product, the first key varying
/// slowest): `name[K=16,seed=1]`, `name[K=16,seed=2]`, `name[K=32,seed=1]`, … In those ids a value keeps
/// letters, digits and `. _ - +`; any other character becomes `_`, so an id is also a file name (the
/// stage's log). `${matrix.K}` in `with:` is the instance's value. A list of values may also be given as
/// `${params.NAME}`: a list param, or a scalar param holding values separated by commas or spaces (so
/// `-p K=16,32,64` works).
extension PipelineLoader {
    /// Most instances one matrix stage may expand to: each is a full stage (record, log, key), and an
    /// unbounded product of value lists would take the planner's memory with it.
    public static let maxMatrixInstances = 10_000

    /// The combinations of a stage's `matrix:` values in expansion order; `[[]]` for a stage without
    /// `matrix:`, nil when the matrix is malformed (reported in `d`).
    func loadMatrix(_ entry: SpecEntry, params: [String: SpecNode], into d: inout [Diagnostic]) -> [[MatrixBinding]]? {
        guard let node = entry.value["matrix"] else { return [[]] }
        let stage = entry.key
        guard let keys = node.entries, !keys.isEmpty else {
            d.append(Diagnostic(node.location, node.scalarValue == ""
                                ? "'matrix' of stage '\(stage)' is empty; expected keys with lists of values, e.g. K: [16, 32]"
                                : "'matrix' expects a mapping of keys to lists of values (e.g. K: [16, 32]), got \(node.kindName)"))
            return nil
        }
        var axes: [(key: String, values: [String])] = []
        var ok = true
        for e in keys {
            guard Reference.isName(e.key) else {
                d.append(Diagnostic(e.keyLocation, "matrix key '\(e.key)' may only hold letters, digits, '_' and '-'"))
                ok = false
                continue
            }
            if let values = matrixValues(e, stage: stage, params: params, into: &d) { axes.append((e.key, values)) } else { ok = false }
        }
        guard ok else { return nil }
        var total = 1
        for axis in axes {
            let (product, overflow) = total.multipliedReportingOverflow(by: axis.values.count)
            total = overflow ? Int.max : product
        }
        if total > Self.maxMatrixInstances {
            d.append(Diagnostic(node.location, "matrix of stage '\(stage)' has " + (total == Int.max ? "too many" : "\(total)")
                                + " combinations (" + axes.map { "\($0.key): \($0.values.count)" }.joined(separator: " × ")
                                + "); at most \(Self.maxMatrixInstances) instances per stage"))
            return nil
        }
        var combinations: [[MatrixBinding]] = [[]]
        for axis in axes {
            combinations = combinations.flatMap { c in axis.values.map { c + [MatrixBinding(key: axis.key, value: $0)] } }
        }
        return combinations
    }

    /// One key's values: a list of scalars or `${params.NAME}`; distinct, also as written in stage ids.
    func matrixValues(_ e: SpecEntry, stage: String, params: [String: SpecNode], into d: inout [Diagnostic]) -> [String]? {
        var values: [(String, SourceLocation)] = []
        let reported = d.count
        switch e.value {
        case .list(let items, _):
            for item in items {
                guard case .scalar(_, let at) = item else {
                    d.append(Diagnostic(item.location, "matrix values are scalars; '\(e.key)' of stage '\(stage)' holds \(item.kindName)"))
                    return nil
                }
                guard case .text(let t) = substituteParams(item, params, into: &d) else {
                    d.append(Diagnostic(at, "matrix values are scalars; this reference of '\(e.key)' of stage '\(stage)' is a list or a mapping"))
                    return nil
                }
                values.append((t, at))
            }
        case .scalar(let s, let at):
            guard let ref = Reference.whole(s), case .param = ref.kind else {
                d.append(Diagnostic(at, "matrix '\(e.key)' of stage '\(stage)' expects a list of values, e.g. \(e.key): [16, 32], or ${params.NAME}"))
                return nil
            }
            switch substituteParams(e.value, params, into: &d) {
            case .text(let t):
                // A scalar param (e.g. from -p K=16,32): values separated by commas or spaces, brackets optional.
                var body = Substring(t.trimmingCharacters(in: .whitespaces))
                if body.hasPrefix("[") && body.hasSuffix("]") { body = body.dropFirst().dropLast() }
                values = body.split(whereSeparator: { $0 == "," || $0 == " " }).map { (String($0), at) }
            case .list(let items):
                for item in items {
                    guard case .text(let t) = item else {
                        d.append(Diagnostic(at, "matrix values are scalars; the list in '\(s)' holds a list or a mapping"))
                        return nil
                    }
                    values.append((t, at))
                }
            case .map:
                d.append(Diagnostic(at, "matrix '\(e.key)' of stage '\(stage)' expects a list of values; '\(s)' is a mapping"))
                return nil
            }
        case .map(_, let at):
            d.append(Diagnostic(at, "matrix '\(e.key)' of stage '\(stage)' expects a list of values, got a mapping"))
            return nil
        }
        if d.count > reported { return nil } // a bad ${params.…} inside, already reported
        if let (v, at) = values.first(where: { !Reference.scan($0.0).isEmpty }) {
            d.append(Diagnostic(at, "matrix values are known when the spec loads; '\(v)' holds a reference"))
            return nil
        }
        guard !values.isEmpty else {
            d.append(Diagnostic(e.value.location, "matrix '\(e.key)' of stage '\(stage)' has no values; give at least one"))
            return nil
        }
        var seen: [String: String] = [:]
        for (v, at) in values {
            let shown = Self.idSafe(v)
            if let other = seen[shown] {
                d.append(Diagnostic(at, other == v
                                    ? "duplicate value '\(v)' in matrix '\(e.key)' of stage '\(stage)'"
                                    : "matrix values '\(other)' and '\(v)' of '\(e.key)' would give the same stage id "
                                      + "'\(Self.instanceID(stage, [MatrixBinding(key: e.key, value: v)]))'"))
                return nil
            }
            seen[shown] = v
        }
        return values.map(\.0)
    }

    /// `name`, or `name[K=16,seed=1]` for an instance of a matrix stage.
    static func instanceID(_ name: String, _ matrix: [MatrixBinding]) -> String {
        matrix.isEmpty ? name : name + "[" + matrix.map { "\($0.key)=\(idSafe($0.value))" }.joined(separator: ",") + "]"
    }

    /// A matrix value as shown in stage ids: characters other than letters, digits and `. _ - +` become `_`.
    static func idSafe(_ value: String) -> String {
        String(value.unicodeScalars.map { u -> Character in
            u.properties.isAlphabetic || ("0"..."9").contains(u) || ".-_+".unicodeScalars.contains(u) ? Character(u) : "_"
        })
    }

    /// Whether `node` holds a `${matrix.…}` reference.
    static func mentionsMatrix(_ node: SpecNode) -> Bool {
        switch node {
        case .scalar(let s, _): return Reference.scan(s).contains { if case .matrix = $0.kind { return true }; return false }
        case .list(let items, _): return items.contains(where: mentionsMatrix)
        case .map(let entries, _): return entries.contains { mentionsMatrix($0.value) }
        }
    }

    /// What stage name `name` (in `needs` or a reference) stands for, seen from `stage`: the instances of
    /// that stage whose matrix values agree with `stage`'s on the keys both have. When the named stage has
    /// a key `stage` lacks, the reference gathers every matching instance. Nil when no stage has that name;
    /// an empty target (reported) when no instance matches.
    func target(_ name: String, from stage: PipelineStage, groups: [String: [Int]], stages: [PipelineStage],
                at: SourceLocation, into d: inout [Diagnostic]) -> ReferenceTarget? {
        guard let group = groups[name], let first = group.first else { return nil }
        let own = Dictionary(stage.matrix.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let keys = stages[first].matrix.map(\.key)
        let shared = keys.filter { own[$0] != nil }
        let matching = group.filter { j in stages[j].matrix.allSatisfy { b in own[b.key].map { $0 == b.value } ?? true } }
        if matching.isEmpty {
            d.append(Diagnostic(at, "stage '\(stage.id)': no instance of matrix stage '\(name)' has "
                                + shared.map { "\($0)=\(own[$0]!)" }.joined(separator: ", ")))
        }
        return ReferenceTarget(stages: matching, ids: matching.map { stages[$0].id }, gathers: shared.count < keys.count)
    }

    /// Whether no reference to `stage` in `value` is a whole value where the schema expects a scalar: a
    /// gathered list fits a list or mapping parameter, an item of one (spliced in), or longer text (joined
    /// with spaces, as any list of paths is).
    static func gathersIntoList(_ value: RawValue, _ type: ParameterType, stage: String) -> Bool {
        switch value {
        case .text(let s):
            guard let ref = Reference.whole(s), case .stage(let r) = ref.kind, r.stage == stage else { return true }
            switch type {
            case .list, .map: return true
            default: return false
            }
        case .list(let items):
            switch type {
            case .list(let element), .map(let element):
                return items.allSatisfy { item in
                    if case .text(let s) = item, Reference.whole(s) != nil { return true }
                    return gathersIntoList(item, element, stage: stage)
                }
            default:
                return true // typing reports the list itself
            }
        case .map(let m):
            guard case .map(let element) = type else { return true }
            return m.values.allSatisfy { gathersIntoList($0, element, stage: stage) }
        }
    }
}
