import Foundation

/// Bridges to the loosely typed values (`[String: Any]`, `[Any]`, `String`, `NSNumber`, `Bool`, `NSNull`)
/// that some callers build or inspect.
extension JSONValue {
    /// The value as Foundation objects; numbers are `NSNumber` (so `as? Int` and `as? Double` both work).
    public var foundation: Any {
        switch kind {
        case .null: return NSNull()
        case .bool(let b): return b
        case .integer(let i): return NSNumber(value: i)
        case .number(let d, _): return NSNumber(value: d)
        case .string(let s): return s
        case .array(let a): return a.map { $0.foundation }
        case .object(let o):
            var d: [String: Any] = [:]
            for m in o { d[m.key] = m.value.foundation }
            return d
        }
    }

    /// A value from Foundation objects (dictionary keys sorted by bytes); `keyPath` names the place of an
    /// unsupported type or non-finite number in the error.
    public init(foundation x: Any, keyPath: String = "") throws {
        switch x {
        case is NSNull: self = .null
        case let s as String: self.init(s)
        case let b as Bool where type(of: x) == Bool.self: self.init(b)
        case let i as Int where type(of: x) == Int.self: self.init(i)
        case let i as Int64 where type(of: x) == Int64.self: self.init(.integer(i))
        case let i as Int32 where type(of: x) == Int32.self: self.init(Int(i))
        case let d as Double where type(of: x) == Double.self: try self.init(finite: d, keyPath)
        case let f as Float where type(of: x) == Float.self: try self.init(finite: Double(f), keyPath)
        case let n as NSNumber:
            let t = String(cString: n.objCType)
            if t == "c" || t == "B" { self.init(n.boolValue) }
            else if t == "d" || t == "f" { try self.init(finite: n.doubleValue, keyPath) }
            else if let i = Int64(exactly: n.int64Value) { self.init(.integer(i)) }
            else { try self.init(finite: n.doubleValue, keyPath) }
        case let a as [Any]:
            self.init(try a.enumerated().map { try JSONValue(foundation: $0.element, keyPath: "\(keyPath)[\($0.offset)]") })
        case let d as [String: Any]:
            var o: [String: JSONValue] = [:]
            for (k, v) in d { o[k] = try JSONValue(foundation: v, keyPath: keyPath.isEmpty ? k : keyPath + "." + k) }
            self.init(o)
        case let v as JSONValue: self = v
        default:
            throw FormatsError.unrepresentable(path: nil, keyPath: keyPath, what: "a value of type \(type(of: x))")
        }
    }

    private init(finite d: Double, _ keyPath: String) throws {
        guard d.isFinite else {
            throw FormatsError.unrepresentable(path: nil, keyPath: keyPath, what: "the number \(d) (JSON has no NaN or infinity)")
        }
        self.init(d)
    }
}
