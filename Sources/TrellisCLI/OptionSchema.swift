import Foundation
import PipelineEngine
import CLISupport

/// A command's options as one typed definition: flag names, types, choices, defaults, docs (the OPTIONS of
/// `--help`), validation and the did-you-mean candidates all come from it. Commands that run a pipeline
/// stage take that stage's schema, so the command and the stage share one definition; other commands list
/// their own `ParameterSpec`s. Schema `tokens_per_batch` is the flag `--tokens-per-batch`; `renames` keeps
/// other spellings canonical (fair-esm's `--repr-layers` for `layers`, `-p` for `overrides`).
struct OptionSchema {
    /// Every parameter: the stage's (or the command's) plus the command's own extras.
    let parameters: [ParameterSpec]
    /// CLI flag (without `--`) → schema name, where they differ beyond `_` ⇄ `-`.
    let renames: [String: String]
    /// Schema names the command takes positionally or sets itself (not offered as flags).
    let excluded: Set<String>
    /// List parameters whose flag repeats and keeps each value whole (`-p key=a,b`); other lists also split
    /// on commas and take space-separated words (fair-esm's `--include mean per_tok`).
    let repeated: Set<String>
    /// Checks beyond the types (the stage's `validate`): each pair names the parameter and the problem.
    let check: (TypedParameters) -> [(parameter: String, message: String)]

    /// A stage's schema; `extra` adds (or, by name, replaces) parameters only the command has; `check`
    /// replaces the stage's validation when the command checks more.
    init(stage: StageType, extra: [ParameterSpec] = [], renames: [String: String] = [:], excluded: Set<String> = [],
         repeated: Set<String> = [], check: ((TypedParameters) -> [(parameter: String, message: String)])? = nil) {
        let replaced = Set(extra.map(\.name))
        self.init(stage.parameters.filter { !replaced.contains($0.name) } + extra, renames: renames, excluded: excluded,
                  repeated: repeated, check: check ?? stage.validate)
    }

    /// A command's own schema.
    init(_ parameters: [ParameterSpec], renames: [String: String] = [:], excluded: Set<String> = [],
         repeated: Set<String> = [], check: @escaping (TypedParameters) -> [(parameter: String, message: String)] = { _ in [] }) {
        self.parameters = parameters
        self.renames = renames
        self.excluded = excluded
        self.repeated = repeated
        self.check = check
    }

    /// The flag of schema parameter `name`, without dashes.
    func flag(_ name: String) -> String {
        renames.first { $0.value == name }?.key ?? name.replacingOccurrences(of: "_", with: "-")
    }

    /// `-n` for one letter, else `--name`.
    static func dashed(_ flag: String) -> String { flag.count == 1 ? "-" + flag : "--" + flag }

    var flagged: [ParameterSpec] { parameters.filter { !excluded.contains($0.name) } }

    /// OPTIONS lines for `--help`: flag, type or choices, the schema's doc and default.
    var usage: String {
        flagged.map { p in
            var head = "  " + Self.dashed(flag(p.name))
            switch p.type {
            case .bool: break
            case .choice(let words): head += " " + words.joined(separator: "|")
            case .list(let t) where repeated.contains(p.name): head += " " + Self.placeholder(t) + " (repeatable)"
            case .list(.choice(let words)): head += " " + words.joined(separator: ",") + ",..."
            case .list(let t): head += " " + Self.placeholder(t) + ",..."
            default: head += " " + Self.placeholder(p.type)
            }
            // A bool's default is off and an empty default says nothing: both are left out.
            let shown = p.type == .bool ? "" : p.defaultValue.map(Self.text) ?? ""
            let fallback = shown.isEmpty ? (p.required ? " (required)" : "") : " (default \(shown))"
            return head + "\n" + Self.wrapped(p.doc + fallback, indent: 8)
        }.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` columns, each indented by `indent` spaces.
    static func wrapped(_ text: String, indent: Int, width: Int = 110) -> String {
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && indent + line.count + 1 + word.count > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        return (lines + [line]).map { pad + $0 }.joined(separator: "\n")
    }

    static func placeholder(_ type: ParameterType) -> String {
        switch type {
        case .outputPath: return "FILE"
        case .model: return "DIR"
        default: return type.description.uppercased().replacingOccurrences(of: " ", with: "_")
        }
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

    /// `values` (read flags plus what the command set) with the schema's defaults filled in, required ones
    /// present, checked by `check`: the parameters the command (or stage) runs with.
    func typed(_ values: [String: ParameterValue]) throws -> TypedParameters {
        var all = values
        for p in parameters where all[p.name] == nil {
            if p.required, p.defaultValue == nil { throw ArgumentError.missingOption(Self.dashed(flag(p.name))) }
            all[p.name] = p.defaultValue
        }
        let typed = TypedParameters(all, projectDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if let problem = check(typed).first {
            let option = Self.dashed(flag(problem.parameter))
            guard let given = values[problem.parameter].map(Self.text) else { throw ArgumentError.problem(option, problem.message) }
            throw ArgumentError.badValue(option, "\(given): \(problem.message)")
        }
        return typed
    }

    /// Reads flags and checks them in one step, for commands without positionals set by hand.
    func parse(_ args: inout Arguments) throws -> TypedParameters {
        let values = try read(&args)
        try args.finish()
        return try typed(values)
    }

    func value(_ p: ParameterSpec, flag: String, _ args: inout Arguments) throws -> ParameterValue? {
        switch p.type {
        case .bool:
            return args.flag(flag) ? .bool(true) : nil
        case .list(let element) where repeated.contains(p.name):
            let items = try args.options(flag)
            return items.isEmpty ? nil : .list(try items.map { try Self.scalar($0, element, flag: flag) })
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

extension OptionSchema {
    /// `--threads N` of the commands that take it.
    static let threads = ParameterSpec("threads", .int, doc: "worker threads (default: all cores)")

    /// The problem with `threads`, if any (1…`ThreadsOption.limit`).
    static func checkThreads(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        guard let n = p.int("threads"), !(1...ThreadsOption.limit).contains(n) else { return [] }
        return [("threads", "expected a whole number of threads in 1…\(ThreadsOption.limit)")]
    }
}
