import Foundation

/// Typed access that throws positioned errors naming the key path, e.g.
/// `config.json:3:25: num_attention_heads: expected an integer, found 64.5`.
extension JSONValue {
    private func wrong(_ key: String, _ expected: String, _ found: String? = nil) -> FormatsError {
        .wrongValue(at: location, keyPath: key, expected: expected, found: found ?? summary)
    }

    /// The member `name` of this object; `key` is this object's own key path (for errors).
    public func member(_ name: String, key: String = "") throws -> JSONValue {
        let path = key.isEmpty ? name : key + "." + name
        guard case .object = kind else { throw wrong(key, "an object") }
        guard let v = self[name] else { throw FormatsError.missingKey(at: location, keyPath: path) }
        return v
    }

    /// The value as an exact integer in `range`.
    public func int(in range: ClosedRange<Int> = Int.min...Int.max, key: String) throws -> Int {
        let value: Int
        switch kind {
        case .integer(let i):
            guard let v = Int(exactly: i) else { throw wrong(key, "an integer in \(range)", "out of range \(i)") }
            value = v
        case .number(let d, let text):
            guard d.isFinite, d == d.rounded(.towardZero) else { throw wrong(key, "an integer", text) }
            guard let v = Int(exactly: d) else { throw wrong(key, "an integer in \(range)", "out of range \(text)") }
            value = v
        default:
            throw wrong(key, "an integer")
        }
        guard range.contains(value) else { throw wrong(key, "an integer in \(range)", "\(value)") }
        return value
    }

    /// The value as a finite double.
    public func double(key: String) throws -> Double {
        guard let d = double else { throw wrong(key, "a number") }
        guard d.isFinite else { throw wrong(key, "a finite number", "out of range \(summary)") }
        return d
    }

    public func string(key: String) throws -> String {
        guard let s = string else { throw wrong(key, "a string") }
        return s
    }

    public func bool(key: String) throws -> Bool {
        guard let b = bool else { throw wrong(key, "true or false") }
        return b
    }

    public func array(key: String) throws -> [JSONValue] {
        guard let a = array else { throw wrong(key, "an array") }
        return a
    }

    public func object(key: String) throws -> [(key: String, value: JSONValue)] {
        guard let o = object else { throw wrong(key, "an object") }
        return o
    }
}
