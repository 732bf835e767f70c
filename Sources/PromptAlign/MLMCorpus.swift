import DataIO
import Foundation

/// One unlabelled document of a masked-LM corpus, with where it starts in its file.
public struct MLMDocument: Equatable, Sendable {
    public var text: String
    public var file: String
    /// 1-based line of the record's start.
    public var line: Int

    public init(text: String, file: String, line: Int) { (self.text, self.file, self.line) = (text, file, line) }
}

/// Reads unlabelled text for continued masked-LM training. Only text is read, never a label:
/// - `.jsonl`/`.ndjson`: one object per line, field `text` (or `content`);
/// - `.csv`/`.tsv`: a header naming `text` or `content` selects that column (raw article files:
///   `news_id,label,title,content`); without such a header every row must have two fields and the second
///   is the text (the few-shot split layout `label,text`, whose first field is skipped);
/// - anything else: plain text, documents separated by blank lines.
/// `.gz` and `.zst` files are decompressed (recognised by their first bytes).
public enum MLMCorpus {
    public static func read(_ path: String) throws -> [MLMDocument] {
        let lower = path.lowercased()
        let bare = lower.hasSuffix(".gz") ? String(lower.dropLast(3)) : lower.hasSuffix(".zst") ? String(lower.dropLast(4)) : lower
        if bare.hasSuffix(".jsonl") || bare.hasSuffix(".ndjson") { return try readJSONL(path) }
        if bare.hasSuffix(".csv") { return try readCSV(path, options: CSVOptions(strictFieldCount: false)) }
        if bare.hasSuffix(".tsv") { return try readCSV(path, options: CSVOptions(delimiter: UInt8(ascii: "\t"), strictFieldCount: false)) }
        return try readPlain(path)
    }

    /// Every file's documents, in order.
    public static func read(_ paths: [String]) throws -> [MLMDocument] {
        try paths.flatMap { try read($0) }
    }

    static func readJSONL(_ path: String) throws -> [MLMDocument] {
        let reader = try JSONLReader(path: path)
        var out: [MLMDocument] = []
        while let value = try reader.next() {
            let line = reader.lineNumber
            guard let object = value as? [String: Any] else {
                throw PromptAlignError.malformedRow(file: path, line: line, column: nil, expected: "a JSON object",
                                                    found: "\(type(of: value))")
            }
            guard let text = (object["text"] ?? object["content"]) as? String else {
                throw PromptAlignError.malformedRow(file: path, line: line, column: nil,
                                                    expected: "a string field 'text' or 'content'", found: "none")
            }
            out.append(MLMDocument(text: text, file: path, line: line))
        }
        return out
    }

    static func readCSV(_ path: String, options: CSVOptions) throws -> [MLMDocument] {
        let reader = try CSVReader(path: path, options: options)
        guard let first = try reader.next() else { return [] }
        var out: [MLMDocument] = []
        if let column = first.fields.firstIndex(of: "content") ?? first.fields.firstIndex(of: "text") {
            while let row = try reader.next() {
                guard row.count == first.count else {
                    throw PromptAlignError.malformedRow(file: path, line: row.line, column: nil,
                                                        expected: "\(first.count) fields as in the header", found: "\(row.count)")
                }
                out.append(MLMDocument(text: row[column], file: path, line: row.line))
            }
            return out
        }
        var row: CSVRow? = first
        while let r = row {
            guard r.count == 2 else {
                throw PromptAlignError.malformedRow(file: path, line: r.line, column: nil,
                                                    expected: "a header naming 'text' or 'content', or 2 fields (label,text)",
                                                    found: "\(r.count) fields")
            }
            out.append(MLMDocument(text: r[1], file: path, line: r.line))
            row = try reader.next()
        }
        return out
    }

    static func readPlain(_ path: String) throws -> [MLMDocument] {
        let reader = try LineReader(path: path)
        var out: [MLMDocument] = []
        var lines: [String] = [], start = 0
        func flush() {
            if !lines.isEmpty { out.append(MLMDocument(text: lines.joined(separator: "\n"), file: path, line: start)) }
            lines = []
        }
        while let line = try reader.nextLine() {
            if line.allSatisfy(\.isWhitespace) { flush(); continue }
            if lines.isEmpty { start = reader.lineNumber }
            lines.append(line)
        }
        flush()
        return out
    }
}
