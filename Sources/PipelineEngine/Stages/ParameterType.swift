import Formats

/// The type of a stage parameter; the schema types spec scalars, which the parser leaves as text.
public indirect enum ParameterType: Sendable, Equatable, CustomStringConvertible {
    case string
    case int
    case float
    /// Exactly `true` or `false` (no YAML 1.1 `yes`/`no`/`on`/`off`).
    case bool
    /// An input file or directory; its content digest is part of the cache key.
    case path
    /// A file the stage publishes at exactly this place (written to a temp path, renamed into place).
    case outputPath
    /// A model directory; config, weight and tokenizer files are digested into the cache key.
    case model
    /// One of a fixed set of words.
    case choice([String])
    case list(ParameterType)
    /// A mapping from names to values; a list is accepted too, its items named by their last path component.
    case map(ParameterType)

    public var description: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .float: return "float"
        case .bool: return "bool"
        case .path: return "path"
        case .outputPath: return "output path"
        case .model: return "model"
        case .choice(let words): return words.joined(separator: "|")
        case .list(let t): return "list of \(t)"
        case .map(let t): return "mapping of \(t)"
        }
    }

    /// Article + name for "expects …" messages.
    var phrase: String {
        switch self {
        case .int: return "an int"
        case .outputPath: return "an output path"
        case .choice(let words): return "one of " + words.map { "'\($0)'" }.joined(separator: ", ")
        case .list, .map: return "a \(self)"
        default: return "a \(self)"
        }
    }
}

/// A typed parameter value.
public indirect enum ParameterValue: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case float(Double)
    case bool(Bool)
    case list([ParameterValue])
    case map([String: ParameterValue])

    public var description: String { canonicalJSON }

    /// Deterministic JSON (sorted keys, shortest round-trip floats): the form hashed into cache keys.
    public var canonicalJSON: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .string(let s): out += JSONWriter.quoted(s)
        case .int(let i): out += String(i)
        case .float(let d): out += d.isFinite ? "\(d)" : "null"
        case .bool(let b): out += b ? "true" : "false"
        case .list(let items):
            out += "["
            for (n, item) in items.enumerated() { if n > 0 { out += "," }; item.write(to: &out) }
            out += "]"
        case .map(let entries):
            out += "{"
            for (n, key) in entries.keys.sorted().enumerated() {
                if n > 0 { out += "," }
                out += JSONWriter.quoted(key)
                out += ":"
                entries[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    /// The text of a scalar as a user would write it; lists are joined by spaces.
    public var text: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let d): return "\(d)"
        case .bool(let b): return b ? "true" : "false"
        case .list(let items): return items.map(\.text).joined(separator: " ")
        case .map(let m): return m.keys.sorted().map { m[$0]!.text }.joined(separator: " ")
        }
    }
}

extension ParameterType {
    /// True when this type, or the item type of a list or map, is `leaf`.
    func holds(_ leaf: ParameterType) -> Bool {
        switch self {
        case .list(let t), .map(let t): return t.holds(leaf)
        default: return self == leaf
        }
    }

    /// Parameters whose files are digested into the key.
    var digestsInputs: Bool { holds(.path) }
    /// Parameters naming files the stage publishes.
    var publishesOutputs: Bool { holds(.outputPath) }
}
