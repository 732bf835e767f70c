import Formats

/// A parameter value as written (text, list, mapping), after `${params.*}` substitution; stage
/// references stay symbolic until the upstream stage has run.
public indirect enum RawValue: Hashable, Sendable {
    case text(String)
    case list([RawValue])
    case map([String: RawValue])

    /// Converts a spec node, dropping positions.
    init(_ node: SpecNode) {
        switch node {
        case .scalar(let s, _): self = .text(s)
        case .list(let items, _): self = .list(items.map(RawValue.init))
        case .map(let entries, _):
            var m: [String: RawValue] = [:]
            for e in entries { m[e.key] = RawValue(e.value) }
            self = .map(m)
        }
    }

    /// Deterministic JSON of the value as written: the `param:` component of a cache key.
    var canonical: String {
        switch self {
        case .text(let s): return JSONWriter.quoted(s)
        case .list(let items): return "[" + items.map(\.canonical).joined(separator: ",") + "]"
        case .map(let m):
            return "{" + m.keys.sorted().map { JSONWriter.quoted($0) + ":" + m[$0]!.canonical }.joined(separator: ",") + "}"
        }
    }

    /// Every `${stages.s.outputs.y}` inside.
    var stageReferences: [StageReference] {
        switch self {
        case .text(let s):
            guard Reference.mayContainReference(s) else { return [] }
            return Reference.scan(s).compactMap { if case .stage(let r) = $0.kind { return r }; return nil }
        case .list(let items): return items.flatMap(\.stageReferences)
        case .map(let m): return m.keys.sorted().flatMap { m[$0]!.stageReferences }
        }
    }
}
