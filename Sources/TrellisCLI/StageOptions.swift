import Foundation
import PipelineEngine
import CLISupport

/// A command's options read from its stage's parameter schema, so the command and the pipeline stage share
/// one definition (names, types, defaults, choices, docs, validation). Schema `tokens_per_batch` is the flag
/// `--tokens-per-batch`; `renames` keeps the fair-esm spellings (`--repr-layers` for `layers`) canonical.
struct StageOptions {
    let stage: StageType
    /// CLI flag (without `--`) → schema name, where they differ beyond `_` ⇄ `-`.
    let renames: [String: String]
    /// Schema names the command takes positionally or handles itself (not offered as flags).
    let excluded: Set<String>

    /// The flag of schema parameter `name`, without dashes.
    func flag(_ name: String) -> String {
        renames.first { $0.value == name }?.key ?? name.replacingOccurrences(of: "_", with: "-")
    }

    /// `-n` for one letter, else `--name`.
    static func dashed(_ flag: String) -> String { flag.count == 1 ? "-" + flag : "--" + flag }

    var flagged: [ParameterSpec] { stage.parameters.filter { !excluded.contains($0.name) } }

    /// OPTIONS lines for `--help`: flag, type or choices, the schema's doc and default.
    var usage: String {
        flagged.map { p in
            var head = "  " + Self.dashed(flag(p.name))
            switch p.type {
            case .bool: break
            case .choice(let words): head += " " + words.joined(separator: "|")
            case .list(.choice(let words)): head += " " + words.joined(separator: ",") + ",..."
            case .list(let t): head += " " + t.description.uppercased() + ",..."
            default: head += " " + p.type.description.uppercased().replacingOccurrences(of: " ", with: "_")
            }
            // A bool's default is off and an empty default says nothing: both are left out.
            let shown = p.type == .bool ? "" : p.defaultValue.map(Self.text) ?? ""
            let fallback = shown.isEmpty ? "" : " (default \(shown))"
            return head + "\n        " + p.doc + fallback
        }.joined(separator: "\n")
    }

    static func text(_ v: ParameterValue) -> String {
        switch v {
        case .string(let s): return s
        case .list(let items): return items.map(text).joined(separator: ",")
        default: return v.canonicalJSON
        }
    }

    /// Reads every flagged parameter given in `args`, typed and checked against the schema.
    func read(_ args: inout Arguments) throws -> [String: ParameterValue] {
        var values: [String: ParameterValue] = [:]
        for p in flagged {
            if let v = try value(p, flag: flag(p.name), &args) { values[p.name] = v }
        }
        return values
    }

    /// `values` (read flags plus the positionals) with the schema's defaults filled in, checked by the stage's
    /// own validation: the parameters the stage would run with.
    func typed(_ values: [String: ParameterValue]) throws -> TypedParameters {
        var all = values
        for p in stage.parameters where all[p.name] == nil { all[p.name] = p.defaultValue }
        let typed = TypedParameters(all, projectDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if let problem = stage.validate(typed).first {
            let option = Self.dashed(flag(problem.parameter))
            guard let given = values[problem.parameter].map(Self.text) else { throw ArgumentError.problem(option, problem.message) }
            throw ArgumentError.badValue(option, "\(given): \(problem.message)")
        }
        return typed
    }

    func value(_ p: ParameterSpec, flag: String, _ args: inout Arguments) throws -> ParameterValue? {
        switch p.type {
        case .bool:
            return args.flag(flag) ? .bool(true) : nil
        case .list(let element):
            // Free text (prompts) is never continued past its own word: a positional would be swallowed.
            let items = try args.list(flag) { element != .string && (try? Self.scalar($0, element, flag: flag)) != nil }
            if items.isEmpty { return nil }
            return .list(try items.map { try Self.scalar($0, element, flag: flag) })
        default:
            guard let text = try args.option(flag) else { return nil }
            return try Self.scalar(text, p.type, flag: flag)
        }
    }

    /// `text` as a value of `type`, or the error naming the flag and what was expected.
    static func scalar(_ text: String, _ type: ParameterType, flag: String) throws -> ParameterValue {
        switch type {
        case .int:
            guard let i = Int(text) else { throw ArgumentError.badValue(Self.dashed(flag), "\(text) (expected a whole number)") }
            return .int(i)
        case .float:
            guard let d = Double(text), d.isFinite else { throw ArgumentError.badValue(Self.dashed(flag), "\(text) (expected a number)") }
            return .float(d)
        case .choice(let words):
            guard words.contains(text) else { throw ArgumentError.unknownChoice(Self.dashed(flag), text, words) }
            return .string(text)
        default:
            return .string(text)
        }
    }
}
