import Foundation

extension Arguments {
    /// Remaining positional arguments (not starting with `-`, a number such as `-1`, `-`, or anything after
    /// `--`); consumes them. Call it after every option has been read: an option's value given after a space
    /// looks like a positional until its option consumes it. A leftover option is an unknown one: it is
    /// reported here, before a wrong positional count could hide it behind the usage text.
    public mutating func positionals() throws -> [String] {
        try checkUnknownOptions()
        var result: [String] = []
        var afterDashes = false
        for i in items.indices where !consumed[i] {
            if afterDashes {
                result.append(items[i]); consumed[i] = true
            } else if items[i] == "--" {
                afterDashes = true; consumed[i] = true
            } else if !Arguments.looksLikeOption(items[i]) {
                result.append(items[i]); consumed[i] = true
            }
        }
        return result
    }

    /// Exactly the positionals named in `names` (e.g. MODEL FASTA OUTPUT); a wrong count names what is missing
    /// or extra instead of printing the usage alone.
    public mutating func positionals(_ names: [String]) throws -> [String] {
        let pos = try positionals()
        guard pos.count == names.count else {
            throw ArgumentError.positionalCount(expected: names, got: pos)
        }
        return pos
    }

    /// Throws if any argument was not consumed.
    public func finish() throws {
        try checkUnknownOptions()
        let left = items.indices.filter { !consumed[$0] }.map { items[$0] }
        if !left.isEmpty { throw ArgumentError.unexpected(left) }
    }

    /// Throws `unknownOption` for the first option-looking argument left over, naming the closest known option.
    func checkUnknownOptions() throws {
        for i in items.indices where !consumed[i] {
            if items[i] == "--" { return }
            guard Arguments.looksLikeOption(items[i]) else { continue }
            let word = String(items[i].drop { $0 == "-" }.prefix { $0 != "=" })
            let near = closestMatch(word, in: known).map(Arguments.spelling)
            throw ArgumentError.unknownOption(String(items[i].prefix { $0 != "=" }), suggestion: near)
        }
    }

    /// `-x`, `--name`, `--name=v`; not `-`, not a negative number (`-1` is a layer index).
    static func looksLikeOption(_ item: String) -> Bool {
        item.hasPrefix("-") && item != "-" && Double(item) == nil
    }
}

/// A command-line mistake, named: the option or argument, the value, and what was expected.
public enum ArgumentError: Error, CustomStringConvertible, Equatable {
    case missingValue(String)
    case missingOption(String)
    case badValue(String, String)
    case unexpected([String])
    /// A value that is not one of a fixed set of choices (option, value, choices).
    case unknownChoice(String, String, [String])
    /// An option no one asked for, with the closest known spelling.
    case unknownOption(String, suggestion: String?)
    /// The positionals given do not match the ones expected (their names in usage order).
    case positionalCount(expected: [String], got: [String])

    public var description: String {
        switch self {
        case .missingValue(let o): return "option \(o) needs a value"
        case .missingOption(let o): return "missing required option \(o)"
        case .badValue(let o, let v): return "invalid value '\(v)' for \(o)"
        case .unexpected(let a): return "unexpected argument(s): \(a.joined(separator: " "))"
        case .unknownChoice(let o, let v, let c):
            let near = closestMatch(v, in: c).map { "; did you mean '\($0)'?" } ?? ""
            return "unknown value '\(v)' for \(o) (expected one of: \(c.joined(separator: ", ")))" + near
        case .unknownOption(let o, let s):
            return "unknown option \(o)" + (s.map { "; did you mean \($0)?" } ?? "")
        case .positionalCount(let expected, let got):
            let want = expected.joined(separator: " ")
            if got.count < expected.count {
                return "missing " + expected[got.count...].joined(separator: " ") + " (expected \(want), got \(got.count) argument(s))"
            }
            return "too many arguments: " + got[expected.count...].joined(separator: " ") + " (expected \(want))"
        }
    }
}
