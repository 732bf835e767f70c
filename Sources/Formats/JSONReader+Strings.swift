import Foundation

extension JSONReader {
    /// A string token starting at the opening quote; escapes decoded, UTF-8 validated.
    mutating func string() throws -> String {
        let open = i
        i += 1
        let start = i
        var ascii = true
        // Fast path: no escapes.
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
                i += 1
                if !ascii, let bad = UTF8Check.firstInvalid(raw) { throw FormatsError.invalidUTF8(at: location(start + bad)) }
                return String(decoding: raw, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw syntax("no raw control character inside a string (escape it)") }
            if c >= 0x80 { ascii = false }
            i += 1
        }
        guard i < bytes.count else { throw syntax("a closing '\"' for the string", at: open) }
        // Slow path: escapes.
        var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        while true {
            guard i < bytes.count else { throw syntax("a closing '\"' for the string", at: open) }
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                if let bad = out.withUnsafeBytes(UTF8Check.firstInvalid) {
                    _ = bad
                    throw FormatsError.invalidUTF8(at: location(open))
                }
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw syntax("an escape character") }
                let e = bytes[i]
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
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw syntax("a low surrogate '\\uDC00'...'\\uDFFF' after the high surrogate", at: i - 6)
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else {
                            throw syntax("a low surrogate '\\uDC00'...'\\uDFFF' after the high surrogate", at: i - 6)
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw syntax("no lone low surrogate", at: i - 6)
                    }
                    appendUTF8(scalar, to: &out)
                default:
                    throw syntax("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", at: i - 2)
                }
            default:
                if c < 0x20 { throw syntax("no raw control character inside a string (escape it)", at: i - 1) }
                out.append(c)
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw syntax("four hex digits after \\u") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw syntax("a hex digit in a \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80: out.append(UInt8(v))
        case 0x80..<0x800: out.append(UInt8(0xC0 | v >> 6)); out.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | v >> 12)); out.append(UInt8(0x80 | (v >> 6) & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        default:
            out.append(UInt8(0xF0 | v >> 18)); out.append(UInt8(0x80 | (v >> 12) & 0x3F))
            out.append(UInt8(0x80 | (v >> 6) & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        }
    }
}

/// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF).
public enum UTF8Check {
    /// Index of the first byte of the first invalid sequence, or nil when `b` is valid UTF-8.
    public static func firstInvalid(_ b: UnsafeRawBufferPointer) -> Int? {
        var k = 0
        let n = b.count
        while k < n {
            let c = b[k]
            if c < 0x80 { k += 1; continue }
            let len: Int, lo: UInt8, hi: UInt8
            switch c {
            case 0xC2...0xDF: len = 2; lo = 0x80; hi = 0xBF
            case 0xE0: len = 3; lo = 0xA0; hi = 0xBF
            case 0xE1...0xEC, 0xEE, 0xEF: len = 3; lo = 0x80; hi = 0xBF
            case 0xED: len = 3; lo = 0x80; hi = 0x9F
            case 0xF0: len = 4; lo = 0x90; hi = 0xBF
            case 0xF1...0xF3: len = 4; lo = 0x80; hi = 0xBF
            case 0xF4: len = 4; lo = 0x80; hi = 0x8F
            default: return k
            }
            guard k + len <= n, b[k + 1] >= lo, b[k + 1] <= hi else { return k }
            for j in 2..<len where b[k + j] & 0xC0 != 0x80 { return k }
            k += len
        }
        return nil
    }

    /// The string for `b` when it is valid UTF-8, else nil (`String(decoding:)` would repair it silently).
    public static func string(_ b: UnsafeRawBufferPointer) -> String? {
        firstInvalid(b) == nil ? String(decoding: b, as: UTF8.self) : nil
    }
}
