import Formats

/// A node of a parsed spec: a scalar (always text), a list or a mapping, each with its source position.
///
/// Scalars are never typed here: `NO`, `010` and `1.20` stay strings until a stage's parameter schema types them.
public indirect enum SpecNode: Sendable {
    case scalar(String, SourceLocation)
    case list([SpecNode], SourceLocation)
    case map([SpecEntry], SourceLocation)

    /// Where the node starts.
    public var location: SourceLocation {
        switch self {
        case .scalar(_, let l), .list(_, let l), .map(_, let l): return l
        }
    }

    /// The text of a scalar, or nil.
    public var scalarValue: String? {
        if case .scalar(let s, _) = self { return s }
        return nil
    }

    /// The entries of a mapping, or nil.
    public var entries: [SpecEntry]? {
        if case .map(let e, _) = self { return e }
        return nil
    }

    /// The items of a list, or nil.
    public var items: [SpecNode]? {
        if case .list(let i, _) = self { return i }
        return nil
    }

    /// `a scalar`, `a list`, `a mapping`: used in "expected … got …" messages.
    public var kindName: String {
        switch self {
        case .scalar: return "a scalar"
        case .list: return "a list"
        case .map: return "a mapping"
        }
    }

    /// The value written out on one line (`[16, 32]`, `{a: 1}`), for reports.
    public var displayText: String {
        switch self {
        case .scalar(let s, _): return s
        case .list(let items, _): return "[" + items.map(\.displayText).joined(separator: ", ") + "]"
        case .map(let entries, _): return "{" + entries.map { "\($0.key): \($0.value.displayText)" }.joined(separator: ", ") + "}"
        }
    }

    /// The value for `key` in a mapping.
    public subscript(key: String) -> SpecNode? {
        entries?.first { $0.key == key }?.value
    }
}

/// One `key: value` of a mapping; the key keeps its own position for "unknown key" errors.
public struct SpecEntry: Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: SpecNode
}
