import Foundation

/// A stage's parameters after typing by its schema, with defaults filled in.
public struct TypedParameters: Sendable {
    public var values: [String: ParameterValue]
    /// Relative paths are resolved against this directory (the directory trellis was started in).
    public var projectDirectory: URL

    public init(_ values: [String: ParameterValue], projectDirectory: URL) {
        self.values = values
        self.projectDirectory = projectDirectory
    }

    public subscript(name: String) -> ParameterValue? { values[name] }

    public func string(_ name: String) -> String? {
        values[name].map(\.text)
    }

    public func int(_ name: String) -> Int? {
        if case .int(let i)? = values[name] { return i }
        return nil
    }

    public func double(_ name: String) -> Double? {
        switch values[name] {
        case .float(let d)?: return d
        case .int(let i)?: return Double(i)
        default: return nil
        }
    }

    public func bool(_ name: String) -> Bool? {
        if case .bool(let b)? = values[name] { return b }
        return nil
    }

    /// The items of a list parameter as text.
    public func strings(_ name: String) -> [String] {
        switch values[name] {
        case .list(let items)?: return items.map(\.text)
        case nil: return []
        case let v?: return [v.text]
        }
    }

    /// A name → text mapping (a `map` parameter).
    public func mapping(_ name: String) -> [(name: String, value: String)] {
        guard case .map(let m)? = values[name] else { return [] }
        return m.keys.sorted().map { ($0, m[$0]!.text) }
    }

    /// A path parameter resolved against the project directory.
    public func url(_ name: String) -> URL? {
        string(name).map { resolve($0) }
    }

    /// `path` resolved against the project directory unless absolute.
    public func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : projectDirectory.appendingPathComponent(path)
    }
}

/// Turns spec text into typed values; the single place where scalars become ints, floats or booleans.
enum ParameterTyping {
    /// Types `value` as `type`, or returns what was expected.
    static func type(_ value: RawValue, as type: ParameterType) -> TypingResult {
        switch (type, value) {
        case (.list(let element), .list(let items)):
            var out: [ParameterValue] = []
            for (n, item) in items.enumerated() {
                switch self.type(item, as: element) {
                case .ok(let v): out.append(v)
                case .bad(let m): return .bad("item \(n + 1): \(m)")
                }
            }
            return .ok(.list(out))
        case (.list(let element), .text):
            // A single scalar where a list is expected is a one-item list.
            return self.type(.list([value]), as: .list(element))
        case (.map(let element), .map(let entries)):
            var out: [String: ParameterValue] = [:]
            for (k, v) in entries {
                switch self.type(v, as: element) {
                case .ok(let t): out[k] = t
                case .bad(let m): return .bad("'\(k)': \(m)")
                }
            }
            return .ok(.map(out))
        case (.map(let element), .list(let items)):
            var out: [String: ParameterValue] = [:]
            for item in items {
                guard case .text(let t) = item else { return .bad("expects \(type.phrase), got a nested list") }
                let name = PathName.lastComponent(t)
                if out[name] != nil { return .bad("two items are named '\(name)'; use a mapping to name them") }
                switch self.type(item, as: element) {
                case .ok(let v): out[name] = v
                case .bad(let m): return .bad(m)
                }
            }
            return .ok(.map(out))
        case (_, .text(let t)):
            return scalar(t, as: type)
        case (_, .list):
            return .bad("expects \(type.phrase), got a list")
        case (_, .map):
            return .bad("expects \(type.phrase), got a mapping")
        }
    }

    static func scalar(_ t: String, as type: ParameterType) -> TypingResult {
        switch type {
        case .string, .path, .outputPath, .model:
            if type != .string && t.isEmpty { return .bad("expects \(type.phrase), got an empty value") }
            return .ok(.string(t))
        case .int:
            if let i = Int(t) { return .ok(.int(i)) }
            return .bad("expects an int, got '\(t)'")
        case .float:
            if let d = Double(t), d.isFinite { return .ok(.float(d)) }
            return .bad("expects a float, got '\(t)'")
        case .bool:
            if t == "true" { return .ok(.bool(true)) }
            if t == "false" { return .ok(.bool(false)) }
            return .bad("expects a bool (true or false), got '\(t)'")
        case .choice(let words):
            if words.contains(t) { return .ok(.string(t)) }
            return .bad("expects \(type.phrase), got '\(t)'" + EditDistance.hint(for: t, among: words))
        case .list, .map:
            return .bad("expects \(type.phrase), got '\(t)'")
        }
    }
}

/// A typed value, or what was expected instead.
enum TypingResult {
    case ok(ParameterValue)
    case bad(String)
}
