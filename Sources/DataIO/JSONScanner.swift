/// A small validating JSON scanner (RFC 8259) that finds where a document is malformed.
///
/// Foundation's `JSONSerialization` says a document is invalid but not where; the readers run this scanner
/// on rejected input to report the byte offset, line, column and what was expected there. It checks syntax
/// only (no UTF-8 validation, no number range) and keeps its own container stack, so deep nesting cannot
/// overflow the call stack.
public enum JSONScanner {
    /// A syntax problem: byte offset (0-based), 1-based line and column, and what was expected.
    public struct Problem: Equatable, Sendable {
        /// 0-based byte offset of the problem.
        public var offset: Int
        /// 1-based line.
        public var line: Int
        /// 1-based column (Unicode scalars).
        public var column: Int
        /// What should have been there, e.g. "expected ':' after an object key, found '}'".
        public var expected: String
    }

    /// The first syntax problem in `bytes`, or nil when they hold exactly one well-formed JSON value.
    public static func firstProblem<C: Collection>(in bytes: C) -> Problem? where C.Element == UInt8 {
        let b = Array(bytes)
        guard let (offset, message) = scan(b) else { return nil }
        var line = 1, column = 1
        for i in 0..<min(offset, b.count) {
            if b[i] == 0x0A { line += 1; column = 1 } else if b[i] & 0xC0 != 0x80 { column += 1 }
        }
        return Problem(offset: offset, line: line, column: column, expected: message)
    }

    private static func describe(_ b: [UInt8], _ i: Int) -> String {
        guard i < b.count else { return "end of input" }
        let c = b[i]
        if c >= 0x20 && c < 0x7F { return "'\(Character(UnicodeScalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    private enum Expect { case value, valueOrClose, keyOrClose, key, colon, commaOrClose, end }

    private static func scan(_ b: [UInt8]) -> (Int, String)? {
        var stack: [UInt8] = [] // '{' or '['
        var expect = Expect.value
        var i = 0
        if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
        func skipSpace() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }
        while true {
            skipSpace()
            switch expect {
            case .end:
                return i < b.count ? (i, "expected end of input after the JSON value, found \(describe(b, i))") : nil
            case .colon:
                guard i < b.count, b[i] == UInt8(ascii: ":") else {
                    return (i, "expected ':' after an object key, found \(describe(b, i))")
                }
                i += 1
                expect = .value
            case .key, .keyOrClose:
                if expect == .keyOrClose, i < b.count, b[i] == UInt8(ascii: "}") {
                    i += 1
                    stack.removeLast()
                    expect = stack.isEmpty ? .end : .commaOrClose
                    continue
                }
                guard i < b.count, b[i] == UInt8(ascii: "\"") else {
                    return (i, "expected a string key\(expect == .keyOrClose ? " or '}'" : ""), found \(describe(b, i))")
                }
                if let problem = scanString(b, &i) { return problem }
                expect = .colon
            case .commaOrClose:
                let close = stack.last == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                guard i < b.count, b[i] == UInt8(ascii: ",") || b[i] == close else {
                    let what = close == UInt8(ascii: "}") ? "an object member" : "an array element"
                    return (i, "expected ',' or '\(Character(UnicodeScalar(close)))' after \(what), found \(describe(b, i))")
                }
                i += 1
                if b[i - 1] == close {
                    stack.removeLast()
                    expect = stack.isEmpty ? .end : .commaOrClose
                } else {
                    expect = close == UInt8(ascii: "}") ? .key : .value
                }
            case .value, .valueOrClose:
                guard i < b.count else {
                    return (i, "expected a value (object, array, string, number, true, false or null), found end of input")
                }
                let c = b[i]
                if expect == .valueOrClose && c == UInt8(ascii: "]") {
                    i += 1
                    stack.removeLast()
                    expect = stack.isEmpty ? .end : .commaOrClose
                    continue
                }
                switch c {
                case UInt8(ascii: "{"):
                    stack.append(c); i += 1; expect = .keyOrClose; continue
                case UInt8(ascii: "["):
                    stack.append(c); i += 1; expect = .valueOrClose; continue
                case UInt8(ascii: "\""):
                    if let problem = scanString(b, &i) { return problem }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if let problem = scanNumber(b, &i) { return problem }
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    let word: [UInt8] = c == UInt8(ascii: "t") ? Array("true".utf8)
                        : c == UInt8(ascii: "f") ? Array("false".utf8) : Array("null".utf8)
                    for (k, w) in word.enumerated() where i + k >= b.count || b[i + k] != w {
                        return (i + k, "expected '\(String(decoding: word, as: UTF8.self))', found \(describe(b, i + k))")
                    }
                    i += word.count
                default:
                    return (i, "expected a value (object, array, string, number, true, false or null), found \(describe(b, i))")
                }
                expect = stack.isEmpty ? .end : .commaOrClose
            }
        }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func scanString(_ b: [UInt8], _ i: inout Int) -> (Int, String)? {
        let open = i
        i += 1
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return nil }
            if c < 0x20 { return (i, "expected a closing '\"' or an escaped character, found control \(describe(b, i)) in a string") }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < b.count else { break }
                switch b[i] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 1
                case UInt8(ascii: "u"):
                    for k in 1...4 {
                        guard i + k < b.count, let _ = hexValue(b[i + k]) else {
                            return (i + k, "expected 4 hex digits after '\\u', found \(describe(b, i + k))")
                        }
                    }
                    i += 5
                default:
                    return (i, "expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found \(describe(b, i))")
                }
                continue
            }
            i += 1
        }
        return (open, "unterminated string: expected a closing '\"' before the end of input")
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    private static func scanNumber(_ b: [UInt8], _ i: inout Int) -> (Int, String)? {
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, isDigit(b[i]) else { return (i, "expected a digit, found \(describe(b, i))") }
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if i < b.count, isDigit(b[i]) { return (i, "expected '.', 'e' or the end of the number after a leading 0, found \(describe(b, i))") }
        } else {
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard i < b.count, isDigit(b[i]) else { return (i, "expected a digit after '.', found \(describe(b, i))") }
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, isDigit(b[i]) else { return (i, "expected a digit in the exponent, found \(describe(b, i))") }
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        return nil
    }
}
