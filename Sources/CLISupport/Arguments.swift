import Foundation

/// Command-line arguments of one subcommand: `--name value`, `--name=value`, boolean `--name`, positionals.
///
/// Options are consumed as they are read; `finish()` reports anything left over, so a misspelt
/// option is an error rather than silently ignored. Every name a command asks for is remembered, so a
/// leftover option is reported with the closest known name ("did you mean --output?").
///
/// Spelling conventions, the same for every command: `--toks-per-batch` and `--toks_per_batch` are one option
/// (underscores in option names read as hyphens, fair-esm's habit), `--format=F` equals `--format F`, and the
/// spec spelling of a stage parameter is accepted beside the CLI spelling where they differ (`aliases`).
public struct Arguments {
    private(set) var items: [String]
    var consumed: [Bool]
    /// Every option name the command asked for, in the order asked (did-you-mean candidates).
    private(set) var known: [String] = []

    /// Option names spelled differently in pipeline specs, read as the CLI name (spec name → CLI name).
    /// `--toks-per-batch` is canonical on the command line (fair-esm's name); `tokens_per_batch` is the spec key.
    public static let aliases = ["tokens-per-batch": "toks-per-batch"]

    public init(_ items: [String]) {
        self.items = Arguments.normalised(items)
        self.consumed = Array(repeating: false, count: items.count)
    }

    /// `--a_b=v` → `--a-b=v` and spec aliases → CLI names; values and anything after `--` are left alone.
    static func normalised(_ items: [String]) -> [String] {
        var out: [String] = []
        var afterDashes = false
        for item in items {
            guard !afterDashes, item.hasPrefix("--"), item.count > 2 else {
                if item == "--" { afterDashes = true }
                out.append(item)
                continue
            }
            let body = item.dropFirst(2)
            let name = body.prefix { $0 != "=" }
            var canonical = name.replacingOccurrences(of: "_", with: "-")
            canonical = aliases[canonical] ?? canonical
            out.append("--" + canonical + body.dropFirst(name.count))
        }
        return out
    }

    static func spelling(_ name: String) -> String { name.count == 1 ? "-" + name : "--" + name }

    mutating func remember(_ name: String) {
        if !known.contains(name) { known.append(name) }
    }

    /// True when `--name` (or `-name` for one-letter names) is present; consumes it.
    public mutating func flag(_ name: String) -> Bool {
        remember(name)
        let spelling = Arguments.spelling(name)
        for i in items.indices where !consumed[i] && items[i] == spelling {
            consumed[i] = true
            return true
        }
        return false
    }

    /// Every value given for `--name` (repeatable), in order; consumes them.
    public mutating func options(_ name: String) throws -> [String] {
        remember(name)
        let spelling = Arguments.spelling(name)
        var values: [String] = []
        var i = 0
        while i < items.count {
            defer { i += 1 }
            guard !consumed[i] else { continue }
            if items[i] == spelling {
                guard i + 1 < items.count, !consumed[i + 1] else {
                    throw ArgumentError.missingValue(spelling)
                }
                consumed[i] = true
                consumed[i + 1] = true
                values.append(items[i + 1])
                i += 1
            } else if items[i].hasPrefix(spelling + "=") {
                consumed[i] = true
                values.append(String(items[i].dropFirst(spelling.count + 1)))
            }
        }
        return values
    }

    /// Every value of `--name`, comma-separated or space-separated (fair-esm's `--repr_layers 0 -1`,
    /// `--include mean per_tok`): words after a value are taken while `accepts` says they belong to the list,
    /// so a positional argument after the list is not swallowed.
    public mutating func list(_ name: String, accepts: (String) -> Bool) throws -> [String] {
        remember(name)
        let spelling = Arguments.spelling(name)
        var values: [String] = []
        var i = 0
        while i < items.count {
            guard !consumed[i], items[i] == spelling || items[i].hasPrefix(spelling + "=") else { i += 1; continue }
            consumed[i] = true
            if items[i] == spelling {
                guard i + 1 < items.count, !consumed[i + 1] else { throw ArgumentError.missingValue(spelling) }
                i += 1
            } else {
                items[i] = String(items[i].dropFirst(spelling.count + 1))
            }
            values.append(items[i]); consumed[i] = true
            i += 1
            while i < items.count, !consumed[i], !items[i].hasPrefix("--"),
                  items[i].split(separator: ",").allSatisfy({ accepts(String($0)) }) {
                values.append(items[i]); consumed[i] = true
                i += 1
            }
        }
        return values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
    }

    /// The last value given for `--name`, if any.
    public mutating func option(_ name: String) throws -> String? {
        try options(name).last
    }

    /// The value of `--name` parsed as `T`, or `defaultValue`.
    public mutating func option<T: LosslessStringConvertible>(_ name: String, default defaultValue: T) throws -> T {
        guard let text = try option(name) else { return defaultValue }
        guard let value = T(text) else { throw ArgumentError.badValue("--" + name, text) }
        return value
    }

    /// The value of `--name`, which must be one of `choices` (the error lists them and names the closest).
    public mutating func choice(_ name: String, _ choices: [String], default defaultValue: String? = nil) throws -> String? {
        guard let text = try option(name) else { return defaultValue }
        guard choices.contains(text) else { throw ArgumentError.unknownChoice("--" + name, text, choices) }
        return text
    }

    /// A required option; a misspelt one left over is named instead of "missing".
    public mutating func required(_ name: String) throws -> String {
        guard let value = try option(name) else {
            try checkUnknownOptions()
            throw ArgumentError.missingOption("--" + name)
        }
        return value
    }

    /// Consumes and returns the first argument when it is a word (not an option): a sub-command name.
    public mutating func subcommand() -> String? {
        guard let i = items.indices.first(where: { !consumed[$0] }), !items[i].hasPrefix("-") else { return nil }
        consumed[i] = true
        return items[i]
    }
}
