import Foundation

/// A text output shown in a report: runs of Markdown pipe-table lines (`| a | b |` with a `|---|` rule
/// under the header) become HTML tables, everything else stays preformatted text.
enum TextTables {
    static func html(_ text: String) -> String {
        let lines = text.components(separatedBy: "\n")
        var out = "", plain: [String] = []
        func flushPlain() {
            while plain.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { plain.removeLast() }
            while plain.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { plain.removeFirst() }
            if !plain.isEmpty { out += "<pre>\(HTMLReport.escape(plain.joined(separator: "\n")))\n</pre>\n" }
            plain = []
        }
        var i = 0
        while i < lines.count {
            if i + 1 < lines.count, let header = cells(lines[i]), isRule(lines[i + 1]) {
                flushPlain()
                out += "<table class=\"data\"><tr>" + header.map { "<th>\(HTMLReport.escape($0))</th>" }.joined() + "</tr>\n"
                i += 2
                while i < lines.count, let row = cells(lines[i]) {
                    out += "<tr>" + row.map { "<td>\(HTMLReport.escape($0))</td>" }.joined() + "</tr>\n"
                    i += 1
                }
                out += "</table>\n"
            } else {
                plain.append(lines[i])
                i += 1
            }
        }
        flushPlain()
        return out
    }

    /// The cells of a `| a | b |` line, nil for any other line.
    static func cells(_ line: String) -> [String]? {
        let t = line.trimmingCharacters(in: .whitespaces)
        guard t.count >= 2, t.hasPrefix("|"), t.hasSuffix("|") else { return nil }
        return t.dropFirst().dropLast().components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// `|---|:--:|` under a header.
    static func isRule(_ line: String) -> Bool {
        guard let c = cells(line), !c.isEmpty else { return false }
        return c.allSatisfy { cell in cell.contains("-") && cell.allSatisfy { $0 == "-" || $0 == ":" } }
    }
}
