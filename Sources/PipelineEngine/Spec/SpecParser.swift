import Foundation
import Formats

/// Parses the YAML subset of pipeline specs into `SpecNode`s that remember their positions.
///
/// Supported: block mappings and lists, plain, 'single' and "double" quoted scalars, flow lists `[a, b]`,
/// `|` and `>` block scalars with `-`/`+` chomping, `#` comments, one leading `---`. Rejected with a
/// positioned error: tabs, anchors `&`, aliases `*`, tags `!`, flow mappings `{}`, duplicate keys, more than
/// one document. Works on UTF-8 bytes so a 100,000-stage spec parses in well under a second.
public struct SpecParser {
    let bytes: [UInt8]
    let file: String
    /// Byte ranges of each line, without the newline (and without a trailing CR).
    var lines: [Range<Int>] = []
    /// Current line index.
    var row = 0
    /// Block nodes being parsed now (lists and mappings inside each other).
    var depth = 0
    /// Deepest nesting accepted: the parser recurses once per level, and a hostile spec (`- - - - …` or
    /// `[[[[…`) must fail with a position, not overflow the stack. Real specs nest a handful of levels.
    static let maxDepth = 200

    /// Parses `text`; `file` is the name used in error positions.
    public static func parse(_ text: String, file: String) throws -> SpecNode {
        var parser = SpecParser(bytes: Array(text.utf8), file: file)
        return try parser.parseDocument()
    }

    /// Reads and parses the file at `path`; errors name it as `path` was written.
    public static func parse(contentsOf path: String) throws -> SpecNode {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError.io(path: path, message: "cannot read the spec file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError.io(path: path, message: "the spec is not valid UTF-8 text")
        }
        return try parse(text, file: path)
    }

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        var start = 0
        for i in bytes.indices where bytes[i] == 0x0A {
            lines.append(start..<(i > start && bytes[i - 1] == 0x0D ? i - 1 : i))
            start = i + 1
        }
        if start < bytes.count { lines.append(start..<bytes.count) }
    }

    // MARK: Positions and errors

    func location(_ line: Int, _ offset: Int) -> SourceLocation {
        // Columns count characters, so skip UTF-8 continuation bytes.
        var column = 1
        var i = lines[line].lowerBound
        while i < offset { if bytes[i] & 0xC0 != 0x80 { column += 1 }; i += 1 }
        return SourceLocation(path: file, offset: offset, line: line + 1, column: column)
    }

    func fail(_ line: Int, _ offset: Int, _ message: String) -> PipelineError {
        .spec(location(line, offset), message)
    }

    // MARK: Lines

    /// Offset of the first non-space byte of line `r`; throws on a tab in the indentation.
    func firstNonSpace(_ r: Int) throws -> Int {
        var i = lines[r].lowerBound
        while i < lines[r].upperBound, bytes[i] == 0x20 { i += 1 }
        if i < lines[r].upperBound, bytes[i] == 0x09 {
            throw fail(r, i, "tab character in indentation; indent with spaces")
        }
        return i
    }

    /// True for lines that are empty, blank or only a comment.
    func isBlank(_ r: Int) -> Bool {
        var i = lines[r].lowerBound
        while i < lines[r].upperBound, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
        return i == lines[r].upperBound || bytes[i] == UInt8(ascii: "#")
    }

    /// Moves `row` to the next significant line; returns its indentation, or nil at the end.
    mutating func nextIndent() throws -> Int? {
        while row < lines.count && isBlank(row) { row += 1 }
        guard row < lines.count else { return nil }
        return try firstNonSpace(row) - lines[row].lowerBound
    }

    // MARK: Document

    mutating func parseDocument() throws -> SpecNode {
        guard var indent = try nextIndent() else {
            return .map([], SourceLocation(path: file, offset: 0, line: 1, column: 1))
        }
        if startsDocumentMarker(row) {
            row += 1
            guard let i = try nextIndent() else { return .map([], location(row - 1, lines[row - 1].lowerBound)) }
            indent = i
        }
        let root = try parseBlock(indent: indent)
        if let _ = try nextIndent() {
            let at = try firstNonSpace(row)
            if startsDocumentMarker(row) || matches(row, at, "...") {
                throw fail(row, at, "only one document per spec; remove this '\(matches(row, at, "...") ? "..." : "---")' line")
            }
            throw fail(row, at, "bad indentation; expected column \(indent + 1) like the first line")
        }
        return root
    }

    func startsDocumentMarker(_ r: Int) -> Bool {
        let s = lines[r].lowerBound
        return matches(r, s, "---") && (s + 3 == lines[r].upperBound || bytes[s + 3] == 0x20)
    }

    func matches(_ r: Int, _ at: Int, _ text: String) -> Bool {
        let t = Array(text.utf8)
        guard at + t.count <= lines[r].upperBound else { return false }
        for k in t.indices where bytes[at + k] != t[k] { return false }
        return true
    }

    // MARK: Blocks

    /// Parses the block node starting at `row`, whose first line is indented by `indent` spaces.
    mutating func parseBlock(indent: Int) throws -> SpecNode {
        let start = lines[row].lowerBound + indent
        return try parseNode(at: start, indent: indent)
    }

    /// Parses a node beginning at byte `at` of line `row`; `indent` is its column (0-based) for the
    /// lines that continue it.
    mutating func parseNode(at: Int, indent: Int) throws -> SpecNode {
        if depth >= Self.maxDepth { throw fail(row, at, "nested deeper than \(Self.maxDepth) levels") }
        depth += 1
        defer { depth -= 1 }
        if isListDash(row, at) { return try parseList(at: at, indent: indent) }
        if try keyEnd(row, at) != nil { return try parseMap(at: at, indent: indent) }
        throw fail(row, at, "expected 'key: value' or '- item'")
    }

    func isListDash(_ r: Int, _ at: Int) -> Bool {
        bytes[at] == UInt8(ascii: "-") && (at + 1 == lines[r].upperBound || bytes[at + 1] == 0x20)
    }

    mutating func parseList(at: Int, indent: Int) throws -> SpecNode {
        let listLocation = location(row, at)
        var items: [SpecNode] = []
        var dash = at
        while true {
            items.append(try parseListItem(dash: dash, indent: indent))
            guard let next = try nextIndent(), next == indent else {
                try checkDedent(parentIndent: indent)
                break
            }
            dash = lines[row].lowerBound + next
            // A non-item line at the list's indentation ends a compact list ("key:\n- a\nnext: b").
            guard isListDash(row, dash) else { break }
        }
        return .list(items, listLocation)
    }

    /// A line indented deeper than the block that just ended belongs to nothing.
    mutating func checkDedent(parentIndent: Int) throws {
        guard let next = try nextIndent(), next > parentIndent else { return }
        throw fail(row, lines[row].lowerBound + next, "unexpected indentation")
    }

    /// The first byte after the spaces that follow a `-` or `:` marker at `marker`; `nil` when the rest of
    /// the line is empty or a comment (the value is the block below). A tab there is an error.
    func valueStart(after marker: Int) throws -> Int? {
        var i = marker + 1
        while i < lines[row].upperBound, bytes[i] == 0x20 { i += 1 }
        if i < lines[row].upperBound, bytes[i] == 0x09 { throw fail(row, i, "tab character; use spaces") }
        return i == lines[row].upperBound || bytes[i] == UInt8(ascii: "#") ? nil : i
    }

    mutating func parseListItem(dash: Int, indent: Int) throws -> SpecNode {
        guard let i = try valueStart(after: dash) else {
            // "-" alone: the item is the block below, or empty.
            let dashRow = row
            row += 1
            if let next = try nextIndent(), next > indent { return try parseBlock(indent: next) }
            return .scalar("", location(dashRow, dash))
        }
        let column = i - lines[row].lowerBound
        if try isListDash(row, i) || keyEnd(row, i) != nil { return try parseNode(at: i, indent: column) }
        return try parseInlineValue(at: i, parentIndent: indent)
    }

    /// If a mapping key starts at `at`, the offset of its ':'; quoted keys are allowed.
    func keyEnd(_ r: Int, _ at: Int) throws -> Int? {
        let end = lines[r].upperBound
        var i = at
        let first = bytes[at]
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            i += 1
            while i < end, bytes[i] != first { if bytes[i] == UInt8(ascii: "\\") && first == UInt8(ascii: "\"") { i += 1 }; i += 1 }
            guard i < end else { return nil }
            i += 1
            while i < end, bytes[i] == 0x20 { i += 1 }
            return i < end && bytes[i] == UInt8(ascii: ":") && (i + 1 == end || bytes[i + 1] == 0x20 || bytes[i + 1] == 0x09) ? i : nil
        }
        if first == UInt8(ascii: "[") || first == UInt8(ascii: "{") || first == UInt8(ascii: "#") { return nil }
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: ":") && (i + 1 == end || bytes[i + 1] == 0x20 || bytes[i + 1] == 0x09) { return i }
            if b == UInt8(ascii: "#") && i > at && bytes[i - 1] == 0x20 { return nil }
            i += 1
        }
        return nil
    }

    mutating func parseMap(at: Int, indent: Int) throws -> SpecNode {
        let mapLocation = location(row, at)
        var entries: [SpecEntry] = []
        var seen: [String: Int] = [:]   // key -> index in entries
        var keyStart = at
        while true {
            guard let colon = try keyEnd(row, keyStart) else {
                throw fail(row, keyStart, "expected 'key: value' in the mapping started at line \(mapLocation.line)")
            }
            let keyLocation = location(row, keyStart)
            let key = try keyText(keyStart, colon)
            if let firstIndex = seen[key] {
                let first = entries[firstIndex].keyLocation
                throw PipelineError.spec(keyLocation, "duplicate key '\(key)' (first at line \(first.line), column \(first.column))")
            }
            seen[key] = entries.count
            let value = try parseEntryValue(after: colon, indent: indent)
            entries.append(SpecEntry(key: key, keyLocation: keyLocation, value: value))
            guard let next = try nextIndent(), next == indent else {
                try checkDedent(parentIndent: indent)
                break
            }
            keyStart = lines[row].lowerBound + next
            if next == 0 && (startsDocumentMarker(row) || matches(row, keyStart, "...")) { break }
            if isListDash(row, keyStart) {
                throw fail(row, keyStart, "expected 'key: value' in the mapping started at line \(mapLocation.line), found a list item")
            }
        }
        return .map(entries, mapLocation)
    }

    func keyText(_ start: Int, _ colon: Int) throws -> String {
        var end = colon
        while end > start, bytes[end - 1] == 0x20 { end -= 1 }
        let first = bytes[start]
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            var i = start
            return try quoted(row, &i)
        }
        try rejectIndicators(row, start)
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The value after `key:` — inline on the same line, or the block below.
    mutating func parseEntryValue(after colon: Int, indent: Int) throws -> SpecNode {
        guard let i = try valueStart(after: colon) else {
            let keyRow = row
            row += 1
            if let next = try nextIndent() {
                if next > indent { return try parseBlock(indent: next) }
                let at = lines[row].lowerBound + next
                // YAML allows a list at the key's own indentation ("key:\n- a").
                if next == indent && isListDash(row, at) { return try parseList(at: at, indent: indent) }
            }
            return .scalar("", location(keyRow, colon + 1))
        }
        return try parseInlineValue(at: i, parentIndent: indent)
    }

    // MARK: Inline values

    /// A scalar, quoted scalar, flow list or block scalar starting at `at` on line `row`; advances `row`.
    mutating func parseInlineValue(at: Int, parentIndent: Int) throws -> SpecNode {
        let loc = location(row, at)
        let b = bytes[at]
        switch b {
        case UInt8(ascii: "|"), UInt8(ascii: ">"):
            return try parseBlockScalar(at: at, parentIndent: parentIndent)
        case UInt8(ascii: "["):
            var i = at
            let node = try flowList(row, &i)
            try expectLineEnd(row, i)
            row += 1
            return node
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            var i = at
            let text = try quoted(row, &i)
            try expectLineEnd(row, i)
            row += 1
            return .scalar(text, loc)
        default:
            try rejectIndicators(row, at)
            var end = at
            while end < lines[row].upperBound {
                if bytes[end] == UInt8(ascii: "#") && bytes[end - 1] == 0x20 { break }
                if bytes[end] == 0x09 { throw fail(row, end, "tab character; use spaces") }
                end += 1
            }
            while end > at, bytes[end - 1] == 0x20 { end -= 1 }
            let text = String(decoding: bytes[at..<end], as: UTF8.self)
            row += 1
            if let next = try nextIndent(), next > parentIndent, !isBlank(row) {
                // A continuation line of a multi-line plain scalar: ambiguous, so ask for quotes or '|'.
                let at2 = lines[row].lowerBound + next
                if try keyEnd(row, at2) == nil && !isListDash(row, at2) {
                    throw fail(row, at2, "multi-line plain scalars are not supported; use a '|' block or quotes")
                }
                throw fail(row, at2, "unexpected indentation")
            }
            return .scalar(text, loc)
        }
    }

    /// Anchors, aliases, tags and flow mappings are outside the subset.
    func rejectIndicators(_ r: Int, _ at: Int) throws {
        switch bytes[at] {
        case UInt8(ascii: "&"):
            throw fail(r, at, "anchors (&name) are not supported; repeat the value instead")
        case UInt8(ascii: "*"):
            throw fail(r, at, "aliases (*name) are not supported; repeat the value instead")
        case UInt8(ascii: "!"):
            throw fail(r, at, "tags (!name) are not supported; values are typed by the stage's parameter schema")
        case UInt8(ascii: "{"):
            throw fail(r, at, "flow mappings ({...}) are not supported; use an indented block mapping")
        default:
            break
        }
    }

    /// After a quoted scalar or flow list only spaces and a comment may follow.
    func expectLineEnd(_ r: Int, _ at: Int) throws {
        var i = at
        while i < lines[r].upperBound, bytes[i] == 0x20 { i += 1 }
        if i < lines[r].upperBound, bytes[i] == 0x09 { throw fail(r, i, "tab character; use spaces") }
        guard i == lines[r].upperBound || (bytes[i] == UInt8(ascii: "#") && i > at) else {
            throw fail(r, i, "unexpected text after the value; expected end of line or a comment")
        }
    }
}
