import Foundation

/// A strict, small JSON reader for safetensors headers and checkpoint index files.
///
/// Foundation's `JSONSerialization` silently keeps one of two equal keys, and the format forbids
/// duplicate tensor names, so the header is scanned here: every node keeps its byte offset in the
/// file, and a repeated key is reported through `onDuplicate`. Grammar is RFC 8259 (as `serde_json`
/// accepts it); nesting is limited to 128 levels, like `serde_json`, so hostile input cannot
/// exhaust the stack.
struct JSONNode {
    enum Value {
        case object([(key: String, keyOffset: Int, value: JSONNode)])
        case array([JSONNode])
        case string(String)
        /// A non-negative integer literal that fits in `Int` (shapes, offsets).
        case integer(Int)
        /// Any other number, as written.
        case number(String)
        case bool(Bool)
        case null
    }

    /// Byte offset of the node's first character in the file.
    let offset: Int
    let value: Value

    var typeName: String {
        switch value {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer, .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

struct JSONScanner {
    typealias DuplicateHandler = (_ key: String, _ offset: Int, _ firstOffset: Int, _ depth: Int) -> Error

    private let bytes: UnsafeRawBufferPointer
    private let base: Int
    private let path: String
    private let onDuplicate: DuplicateHandler
    private var i = 0
    private static let maxDepth = 128

    /// Parses one JSON value spanning `bytes` (trailing JSON whitespace allowed); offsets in nodes
    /// and errors are `base + index`.
    static func parse(_ bytes: UnsafeRawBufferPointer, base: Int, path: String,
                      onDuplicate: @escaping DuplicateHandler) throws -> JSONNode {
        var s = JSONScanner(bytes: bytes, base: base, path: path, onDuplicate: onDuplicate)
        s.skipWhitespace()
        let node = try s.value(depth: 0)
        s.skipWhitespace()
        if s.i != bytes.count { throw s.fail("end of JSON (only whitespace may follow the top-level value)") }
        return node
    }

    private init(bytes: UnsafeRawBufferPointer, base: Int, path: String, onDuplicate: @escaping DuplicateHandler) {
        self.bytes = bytes
        self.base = base
        self.path = path
        self.onDuplicate = onDuplicate
    }

    private func fail(_ expected: String, at index: Int? = nil) -> SafetensorsError {
        .invalidJSON(path: path, offset: base + (index ?? i), expected: expected)
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private mutating func expect(_ c: UInt8, _ what: String) throws {
        guard peek == c else { throw fail(what) }
        i += 1
    }

    private mutating func value(depth: Int) throws -> JSONNode {
        guard depth < Self.maxDepth else { throw fail("at most \(Self.maxDepth) nested arrays/objects") }
        let start = i
        guard let c = peek else { throw fail("a value (object, array, string, number, true, false or null)") }
        switch c {
        case UInt8(ascii: "{"): return JSONNode(offset: base + start, value: try object(depth: depth))
        case UInt8(ascii: "["): return JSONNode(offset: base + start, value: try array(depth: depth))
        case UInt8(ascii: "\""): return JSONNode(offset: base + start, value: .string(try string()))
        case UInt8(ascii: "t"): try literal("true"); return JSONNode(offset: base + start, value: .bool(true))
        case UInt8(ascii: "f"): try literal("false"); return JSONNode(offset: base + start, value: .bool(false))
        case UInt8(ascii: "n"): try literal("null"); return JSONNode(offset: base + start, value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(offset: base + start, value: try number())
        default:
            throw fail("a value (object, array, string, number, true, false or null)")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count,
              memcmp(bytes.baseAddress! + i, word.utf8Start, n) == 0 else { throw fail("'\(word)'") }
        i += n
    }

    private mutating func object(depth: Int) throws -> JSONNode.Value {
        i += 1  // '{'
        var members: [(key: String, keyOffset: Int, value: JSONNode)] = []
        var seen: [String: Int] = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipWhitespace()
            let keyOffset = base + i
            guard peek == UInt8(ascii: "\"") else { throw fail("a string key") }
            let key = try string()
            // Small objects (tensor entries) scan linearly; a dictionary per entry would cost more.
            if members.count < 16 {
                if let first = members.first(where: { $0.key == key }) {
                    throw onDuplicate(key, keyOffset, first.keyOffset, depth + 1)
                }
                if members.count == 15 { for m in members { seen[m.key] = m.keyOffset }; seen[key] = keyOffset }
            } else {
                if let first = seen[key] { throw onDuplicate(key, keyOffset, first, depth + 1) }
                seen[key] = keyOffset
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            skipWhitespace()
            let v = try value(depth: depth + 1)
            members.append((key, keyOffset, v))
            skipWhitespace()
            guard let c = peek else { throw fail("',' or '}'") }
            i += 1
            if c == UInt8(ascii: "}") { return .object(members) }
            guard c == UInt8(ascii: ",") else { throw fail("',' or '}'", at: i - 1) }
        }
    }

    private mutating func array(depth: Int) throws -> JSONNode.Value {
        i += 1  // '['
        var items: [JSONNode] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard let c = peek else { throw fail("',' or ']'") }
            i += 1
            if c == UInt8(ascii: "]") { return .array(items) }
            guard c == UInt8(ascii: ",") else { throw fail("',' or ']'", at: i - 1) }
        }
    }

    private mutating func number() throws -> JSONNode.Value {
        let start = i
        var isInteger = true
        var value = 0
        var overflow = false
        if peek == UInt8(ascii: "-") { i += 1; isInteger = false }
        guard let d = peek, isDigit(d) else { throw fail("a digit") }
        if d == UInt8(ascii: "0") {
            i += 1
            if let n = peek, isDigit(n) { throw fail("no leading zeros in a number") }
        } else {
            // Accumulated while scanning: shapes and offsets are most of a header's numbers.
            while let n = peek, isDigit(n) {
                if !overflow {
                    let (m, o1) = value.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(Int(n &- 0x30))
                    value = a
                    overflow = o1 || o2
                }
                i += 1
            }
        }
        if peek == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard let n = peek, isDigit(n) else { throw fail("a digit after '.'") }
            while let n = peek, isDigit(n) { i += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard let n = peek, isDigit(n) else { throw fail("a digit in the exponent") }
            while let n = peek, isDigit(n) { i += 1 }
        }
        if isInteger && !overflow { return .integer(value) }
        return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private mutating func string() throws -> String {
        let open = i
        i += 1  // '"'
        let start = i
        var ascii = true
        // Fast path: no escapes.
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
                i += 1
                if ascii { return String(decoding: raw, as: UTF8.self) }
                guard let s = Self.strictUTF8(raw) else {
                    throw SafetensorsError.invalidUTF8(path: path, offset: base + open)
                }
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("no control characters inside a string (escape them)") }
            if c >= 0x80 { ascii = false }
            i += 1
        }
        guard i < bytes.count else { throw fail("a closing '\"'", at: open) }
        // Slow path: escapes.
        var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        while true {
            guard let c = peek else { throw fail("a closing '\"'", at: open) }
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = out.withUnsafeBytes(Self.strictUTF8) else {
                    throw SafetensorsError.invalidUTF8(path: path, offset: base + open)
                }
                return s
            case UInt8(ascii: "\\"):
                guard let e = peek else { throw fail("an escape character") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard peek == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                            throw fail("a low surrogate '\\uDC00'...'\\uDFFF' after a high surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("a low surrogate", at: i - 6) }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw fail("no lone low surrogate", at: i - 6)
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(scalar)!).utf8))
                default:
                    throw fail("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", at: i - 2)
                }
            default:
                if c < 0x20 { throw fail("no control characters inside a string (escape them)", at: i - 1) }
                out.append(c)
            }
        }
    }

    /// The string, or nil when the bytes are not valid UTF-8 (`String(decoding:)` would repair them;
    /// `String(validating:)` needs macOS 15).
    static func strictUTF8(_ bytes: UnsafeRawBufferPointer) -> String? {
        var it = bytes.makeIterator()
        var codec = UTF8()
        loop: while true {
            switch codec.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("four hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("a hex digit")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}
