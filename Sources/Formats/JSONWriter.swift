import Foundation

/// The one JSON writer and string escaper.
///
/// Members are written in the order the value holds them (`JSONValue([String: JSONValue])` sorts keys by
/// bytes, so equal dictionaries give equal bytes). Strings escape `"`, `\` and control characters
/// (`\n \r \t \b \f`, others as `\u00XX`); `/` and non-ASCII are written as they are. Doubles are written
/// in the shortest form that reads back to the same value; NaN and infinities are rejected with the key path.
public enum JSONWriter {
    /// The document's bytes; `pretty` indents by two spaces, one member per line.
    public static func bytes(_ value: JSONValue, pretty: Bool = false, path: String? = nil) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        try write(value, into: &out, pretty: pretty, indent: 0, keyPath: "", path: path)
        return out
    }

    /// The document as a string.
    public static func string(_ value: JSONValue, pretty: Bool = false) throws -> String {
        String(decoding: try bytes(value, pretty: pretty), as: UTF8.self)
    }

    /// Writes the document (and a final newline) to `path` atomically.
    public static func write(_ value: JSONValue, to path: String, pretty: Bool = false, durable: Bool = true) throws {
        var b = try bytes(value, pretty: pretty, path: path)
        b.append(0x0A)
        try AtomicFile.write(b, to: path, durable: durable)
    }

    /// Appends `s` as a quoted, escaped JSON string.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(c)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(c)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(c >> 4)]); out.append(hex[Int(c & 0xF)])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `s` quoted and escaped.
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        appendString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The shortest text that reads back as `d`; nil for NaN and infinities.
    public static func text(_ d: Double) -> String? {
        guard d.isFinite else { return nil }
        return "\(d)"
    }

    private static func write(_ v: JSONValue, into out: inout [UInt8], pretty: Bool, indent: Int,
                              keyPath: String, path: String?) throws {
        func newline(_ level: Int) {
            guard pretty else { return }
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        switch v.kind {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .integer(let i): out.append(contentsOf: Array(String(i).utf8))
        case .number(let d, _):
            guard let t = text(d) else {
                throw FormatsError.unrepresentable(path: path, keyPath: keyPath, what: "the number \(d) (JSON has no NaN or infinity)")
            }
            out.append(contentsOf: Array(t.utf8))
        case .string(let s): appendString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (k, item) in a.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                try write(item, into: &out, pretty: pretty, indent: indent + 1, keyPath: "\(keyPath)[\(k)]", path: path)
            }
            if !a.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (k, m) in o.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                appendString(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                try write(m.value, into: &out, pretty: pretty, indent: indent + 1,
                          keyPath: keyPath.isEmpty ? m.key : keyPath + "." + m.key, path: path)
            }
            if !o.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "}"))
        }
    }
}
