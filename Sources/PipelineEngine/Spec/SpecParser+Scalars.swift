/// Quoted scalars, flow lists and block scalars.
extension SpecParser {
    /// A 'single' or "double" quoted scalar starting at `i` on line `r`; leaves `i` after the closing quote.
    func quoted(_ r: Int, _ i: inout Int) throws -> String {
        let open = i
        let quote = bytes[i]
        let end = lines[r].upperBound
        var out: [UInt8] = []
        i += 1
        while true {
            guard i < end else {
                let kind = quote == UInt8(ascii: "'") ? "single" : "double"
                throw fail(r, open, "unterminated \(kind)-quoted string; quoted strings must end on the same line")
            }
            let b = bytes[i]
            if b == quote {
                if quote == UInt8(ascii: "'"), i + 1 < end, bytes[i + 1] == quote {
                    out.append(quote); i += 2; continue
                }
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                try escape(r, &i, into: &out)
                continue
            }
            out.append(b)
            i += 1
        }
    }

    /// One backslash escape of a double-quoted string.
    func escape(_ r: Int, _ i: inout Int, into out: inout [UInt8]) throws {
        let at = i
        guard i + 1 < lines[r].upperBound else { throw fail(r, at, "unterminated double-quoted string; quoted strings must end on the same line") }
        let c = bytes[i + 1]
        i += 2
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "n"): 0x0A, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "0"): 0,
            UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: " "): 0x20,
            UInt8(ascii: "a"): 0x07, UInt8(ascii: "b"): 0x08, UInt8(ascii: "e"): 0x1B, UInt8(ascii: "f"): 0x0C,
            UInt8(ascii: "v"): 0x0B,
        ]
        if let s = simple[c] { out.append(s); return }
        let digits: Int
        switch c {
        case UInt8(ascii: "x"): digits = 2
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default:
            throw fail(r, at, "unknown escape '\\\(Character(Unicode.Scalar(c)))' in double-quoted string; expected one of \\n \\t \\r \\\" \\\\ \\0 \\xXX \\uXXXX")
        }
        guard i + digits <= lines[r].upperBound,
              let value = UInt32(String(decoding: bytes[i..<(i + digits)], as: UTF8.self), radix: 16),
              let scalar = Unicode.Scalar(value)
        else { throw fail(r, at, "escape '\\\(Character(Unicode.Scalar(c)))' needs \(digits) hexadecimal digits") }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
        i += digits
    }

    /// A flow list `[a, 'b', [c]]` on one line starting at `i`; leaves `i` after the closing `]`.
    func flowList(_ r: Int, _ i: inout Int, depth: Int = 0) throws -> SpecNode {
        let open = i
        if depth >= Self.maxDepth { throw fail(r, open, "flow lists nested deeper than \(Self.maxDepth) levels") }
        let loc = location(r, open)
        let end = lines[r].upperBound
        var items: [SpecNode] = []
        i += 1
        func skipSpaces() throws {
            while i < end, bytes[i] == 0x20 { i += 1 }
            if i < end, bytes[i] == 0x09 { throw fail(r, i, "tab character; use spaces") }
        }
        while true {
            try skipSpaces()
            guard i < end else { throw fail(r, open, "unterminated flow list; expected ']' on the same line") }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .list(items, loc) }
            let itemLoc = location(r, i)
            switch bytes[i] {
            case UInt8(ascii: "["):
                items.append(try flowList(r, &i, depth: depth + 1))
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                items.append(.scalar(try quoted(r, &i), itemLoc))
            case UInt8(ascii: ","):
                throw fail(r, i, "empty item in flow list")
            default:
                try rejectIndicators(r, i)
                let s = i
                while i < end, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "]") {
                    if bytes[i] == UInt8(ascii: "#") && bytes[i - 1] == 0x20 { break }
                    // `${...}` references may sit in flow items: skip to their closing brace.
                    if bytes[i] == UInt8(ascii: "$"), i + 1 < end, bytes[i + 1] == UInt8(ascii: "{") {
                        while i < end, bytes[i] != UInt8(ascii: "}") { i += 1 }
                        if i < end { i += 1 }
                        continue
                    }
                    if bytes[i] == UInt8(ascii: "[") || bytes[i] == UInt8(ascii: "{") {
                        throw fail(r, i, "unexpected '\(Character(Unicode.Scalar(bytes[i])))' inside a flow list item; quote the item")
                    }
                    i += 1
                }
                var e = i
                while e > s, bytes[e - 1] == 0x20 { e -= 1 }
                items.append(.scalar(String(decoding: bytes[s..<e], as: UTF8.self), itemLoc))
            }
            try skipSpaces()
            guard i < end else { throw fail(r, open, "unterminated flow list; expected ']' on the same line") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .list(items, loc) }
            throw fail(r, i, "expected ',' or ']' in flow list")
        }
    }

    /// A `|` (literal) or `>` (folded) block scalar whose header is at `at`; consumes its content lines.
    mutating func parseBlockScalar(at: Int, parentIndent: Int) throws -> SpecNode {
        let loc = location(row, at)
        let folded = bytes[at] == UInt8(ascii: ">")
        var chomp: UInt8 = 0   // 0 clip, '-' strip, '+' keep
        var i = at + 1
        if i < lines[row].upperBound, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            chomp = bytes[i]; i += 1
        }
        if i < lines[row].upperBound, bytes[i] >= UInt8(ascii: "1"), bytes[i] <= UInt8(ascii: "9") {
            throw fail(row, i, "explicit indentation indicators are not supported; indent the block consistently")
        }
        try expectLineEnd(row, i)
        row += 1
        // Content: following lines indented deeper than the parent, plus blank lines among them.
        var content: [(text: String, blank: Bool)] = []
        var blockIndent: Int?
        while row < lines.count {
            let range = lines[row]
            var k = range.lowerBound
            while k < range.upperBound, bytes[k] == 0x20 { k += 1 }
            let indent = k - range.lowerBound
            if k == range.upperBound {
                content.append(("", true)); row += 1; continue
            }
            if let b = blockIndent {
                if indent < b {
                    if indent > parentIndent, bytes[k] != UInt8(ascii: "#") {
                        throw fail(row, k, "line is less indented than the block scalar started at line \(loc.line)")
                    }
                    break
                }
            } else {
                if bytes[k] == 0x09 { throw fail(row, k, "tab character in indentation; indent with spaces") }
                if indent <= parentIndent { break }
                blockIndent = indent
            }
            let s = range.lowerBound + blockIndent!
            content.append((String(decoding: bytes[s..<range.upperBound], as: UTF8.self), false))
            row += 1
        }
        // Trailing blank lines are not part of the block; give them back to the line cursor.
        var trailing = 0
        while let last = content.last, last.blank { content.removeLast(); trailing += 1 }
        var text: String
        if folded {
            text = ""
            var previousBlank = true
            for (n, line) in content.enumerated() {
                if line.blank { text += "\n"; previousBlank = true; continue }
                if n > 0 && !previousBlank && !line.text.hasPrefix(" ") { text += " " }
                else if n > 0 && !previousBlank { text += "\n" }
                text += line.text
                previousBlank = false
            }
        } else {
            text = content.map(\.text).joined(separator: "\n")
        }
        switch chomp {
        case UInt8(ascii: "-"): break
        case UInt8(ascii: "+"): text += String(repeating: "\n", count: (content.isEmpty ? 0 : 1) + trailing)
        default: if !content.isEmpty { text += "\n" }
        }
        return .scalar(text, loc)
    }
}
