import Foundation

/// Command-line arguments of one subcommand: `--name value`, `--name=value`, boolean `--name`, positionals.
///
/// Options are consumed as they are read; `finish()` reports anything left over, so a misspelt
/// option is an error rather than silently ignored.
public struct Arguments {
    private var items: [String]
    private var consumed: [Bool]

    public init(_ items: [String]) {
        self.items = items
        self.consumed = Array(repeating: false, count: items.count)
    }

    /// True when `--name` (or `-name` for one-letter names) is present; consumes it.
    public mutating func flag(_ name: String) -> Bool {
        let spelling = name.count == 1 ? "-" + name : "--" + name
        for i in items.indices where !consumed[i] && items[i] == spelling {
            consumed[i] = true
            return true
        }
        return false
    }

    /// Every value given for `--name` (repeatable), in order; consumes them.
    public mutating func options(_ name: String) throws -> [String] {
        let spelling = name.count == 1 ? "-" + name : "--" + name
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

    /// A required option.
    public mutating func required(_ name: String) throws -> String {
        guard let value = try option(name) else { throw ArgumentError.missingOption("--" + name) }
        return value
    }

    /// Consumes and returns the first argument when it is a word (not an option): a sub-command name.
    public mutating func subcommand() -> String? {
        guard let i = items.indices.first(where: { !consumed[$0] }), !items[i].hasPrefix("-") else { return nil }
        consumed[i] = true
        return items[i]
    }

    /// Remaining positional arguments. Call it after every option has been read: an option's
    /// value given after a space looks like a positional until its option consumes it.
    /// Positional arguments (not starting with `-`, or after `--`); consumes them.
    public mutating func positionals() -> [String] {
        var result: [String] = []
        var afterDashes = false
        for i in items.indices where !consumed[i] {
            if afterDashes {
                result.append(items[i]); consumed[i] = true
            } else if items[i] == "--" {
                afterDashes = true; consumed[i] = true
            } else if !items[i].hasPrefix("-") || items[i] == "-" || Double(items[i]) != nil {
                result.append(items[i]); consumed[i] = true
            }
        }
        return result
    }

    /// Throws if any argument was not consumed.
    public func finish() throws {
        let left = items.indices.filter { !consumed[$0] }.map { items[$0] }
        if !left.isEmpty { throw ArgumentError.unexpected(left) }
    }
}

public enum ArgumentError: Error, CustomStringConvertible, Equatable {
    case missingValue(String)
    case missingOption(String)
    case badValue(String, String)
    case unexpected([String])
    /// A value that is not one of a fixed set of choices (option, value, choices).
    case unknownChoice(String, String, [String])

    public var description: String {
        switch self {
        case .missingValue(let o): return "option \(o) needs a value"
        case .missingOption(let o): return "missing required option \(o)"
        case .badValue(let o, let v): return "invalid value '\(v)' for \(o)"
        case .unexpected(let a): return "unexpected argument(s): \(a.joined(separator: " "))"
        case .unknownChoice(let o, let v, let c): return "unknown value '\(v)' for \(o) (expected one of: \(c.joined(separator: ", ")))"
        }
    }
}
