import Foundation

/// A parsed JSON value with where it was read: the one in-memory form of every JSON document in the project.
///
/// Objects keep their members in file order, keys compared byte for byte (Swift `String` equality is
/// canonical equivalence, which would merge vocabulary entries such as "é" and "e\u{301}"). Numbers that are
/// exact integers in `Int64` range stay exact; any other number keeps its double value and its text, so an
/// error can quote it as written.
public struct JSONValue: Sendable {
    public enum Kind: Sendable {
        case null
        case bool(Bool)
        /// A number written without fraction or exponent that fits in `Int64`.
        case integer(Int64)
        /// Any other number: its value and its text as written.
        case number(Double, text: String)
        case string(String)
        case array([JSONValue])
        case object([(key: String, value: JSONValue)])
    }

    public var kind: Kind
    /// Where the value starts (offset 0/line 1/column 1 for values built in memory).
    public var location: SourceLocation

    public init(_ kind: Kind, location: SourceLocation = SourceLocation(path: nil, offset: 0, line: 1, column: 1)) {
        self.kind = kind
        self.location = location
    }

    public static let null = JSONValue(.null)

    /// The last member named `key` (byte-exact), if this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let o) = kind else { return nil }
        var k = key
        return k.withUTF8 { kb in o.last { $0.key.utf8.elementsEqual(kb) }?.value }
    }

    public var string: String? { if case .string(let s) = kind { return s }; return nil }
    public var bool: Bool? { if case .bool(let b) = kind { return b }; return nil }
    public var array: [JSONValue]? { if case .array(let a) = kind { return a }; return nil }
    public var object: [(key: String, value: JSONValue)]? { if case .object(let o) = kind { return o }; return nil }
    public var isNull: Bool { if case .null = kind { return true }; return false }

    /// The value as an `Int` when it is an exact integer that fits (integral doubles such as `2.0` included).
    public var int: Int? {
        switch kind {
        case .integer(let i): return Int(exactly: i)
        case .number(let d, _): return Int(exactly: d)
        default: return nil
        }
    }

    /// The value as a `Double` when it is a number.
    public var double: Double? {
        switch kind {
        case .integer(let i): return Double(i)
        case .number(let d, _): return d
        default: return nil
        }
    }

    /// "an object", "a string", "the number 64.5": how an error names what it found.
    public var summary: String {
        switch kind {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return "\(i)"
        case .number(_, let text): return text
        case .string(let s): return s.utf8.count <= 40 ? "the string \"\(s)\"" : "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension JSONValue {
    public init(_ s: String) { self.init(.string(s)) }
    public init(_ i: Int) { self.init(.integer(Int64(i))) }
    public init(_ b: Bool) { self.init(.bool(b)) }
    /// A number; non-finite values are rejected by the writer.
    public init(_ d: Double) { self.init(.number(d, text: "\(d)")) }
    public init(_ a: [JSONValue]) { self.init(.array(a)) }
    public init(_ o: [(key: String, value: JSONValue)]) { self.init(.object(o)) }
    /// An object from a dictionary, keys sorted (byte order) so equal dictionaries give equal documents.
    public init(_ d: [String: JSONValue]) {
        self.init(.object(d.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value) }))
    }
}
