import DataIO
import Foundation

/// One news article as read from a split file, a raw article file, JSONL or a feed.
public struct NewsArticle: Equatable, Sendable {
    /// The article id (`news_id`, JSON `id`, feed guid/id); nil in split files, which have none.
    public var id: String?
    /// 0 = real, 1 = fake; nil when the source carries no label (feeds, unlabelled JSONL).
    public var label: Int?
    /// The title, when the source has one.
    public var title: String?
    /// The body: the text the prompt wraps (split `text`, raw `content`, JSON `text`/`content`, feed content).
    public var text: String
    /// 1-based line where the record starts in its file.
    public var line: Int

    public init(id: String? = nil, label: Int? = nil, title: String? = nil, text: String, line: Int = 0) {
        self.id = id
        self.label = label
        self.title = title
        self.text = text
        self.line = line
    }
}

/// The article file layouts `NewsReader` understands.
public enum NewsFormat: String, CaseIterable, Sendable {
    /// Few-shot split CSV: no header, two fields `label,text` (`{ds}_train_{K}.csv`, `{ds}_test.csv`).
    case split
    /// Raw article CSV with a header naming `news_id,label,title,content` (`{ds}_full_train{K}.csv`).
    case raw
    /// JSON Lines: one object per line with `text` (or `content`), optional `id`/`news_id`, `label`, `title`.
    case jsonl
    /// RSS 2.0 / RSS 1.0 / Atom feed through libxml2: items become unlabelled articles.
    case feed
}

/// Reads news articles. Malformed records are errors naming the file, the line and what was expected
/// (a CSV record break missing, as in two of the GossipCop files, is reported by DataIO's reader with
/// its line and column).
public enum NewsReader {
    /// Reads `path` in `format`, or in the format guessed from its extension and first bytes.
    public static func read(_ path: String, format: NewsFormat? = nil) throws -> [NewsArticle] {
        switch try format ?? guessFormat(path) {
        case .split: return try readSplit(path)
        case .raw: return try readRaw(path)
        case .jsonl: return try readJSONL(path)
        case .feed: return try readFeed(path)
        }
    }

    /// `.jsonl`/`.ndjson` → jsonl; `.xml`/`.rss`/`.atom` → feed; a CSV whose first line starts with
    /// `news_id` → raw; any other CSV → split.
    public static func guessFormat(_ path: String) throws -> NewsFormat {
        let lower = path.lowercased()
        let bare = lower.hasSuffix(".gz") ? String(lower.dropLast(3)) : lower.hasSuffix(".zst") ? String(lower.dropLast(4)) : lower
        if bare.hasSuffix(".jsonl") || bare.hasSuffix(".ndjson") { return .jsonl }
        if bare.hasSuffix(".xml") || bare.hasSuffix(".rss") || bare.hasSuffix(".atom") { return .feed }
        let reader = try CSVReader(path: path, options: CSVOptions(strictFieldCount: false))
        if let first = try reader.next(), first.fields.first == "news_id" { return .raw }
        return .split
    }

    /// A split file: `label,text` rows, no header, labels 0 or 1.
    public static func readSplit(_ path: String) throws -> [NewsArticle] {
        let reader = try CSVReader(path: path, options: .csv)
        var out: [NewsArticle] = []
        while let row = try reader.next() {
            guard row.count == 2 else {
                throw PromptAlignError.malformedRow(file: path, line: row.line, column: nil,
                                                    expected: "2 fields (label,text)", found: "\(row.count)")
            }
            let label = try parseLabel(row[0], file: path, line: row.line, column: 1)
            out.append(NewsArticle(label: label, text: row[1], line: row.line))
        }
        return out
    }

    /// A raw article file with a header holding at least `news_id` and `content` (`label`, `title` used
    /// when present).
    public static func readRaw(_ path: String) throws -> [NewsArticle] {
        let reader = try CSVReader(path: path, options: .csvWithHeader)
        guard let idColumn = reader.index(of: "news_id") else {
            throw PromptAlignError.missingColumn(file: path, line: 1, column: "news_id")
        }
        guard let textColumn = reader.index(of: "content") else {
            throw PromptAlignError.missingColumn(file: path, line: 1, column: "content")
        }
        let labelColumn = reader.index(of: "label"), titleColumn = reader.index(of: "title")
        var out: [NewsArticle] = []
        while let row = try reader.next() {
            let label = try labelColumn.map { try parseLabel(row[$0], file: path, line: row.line, column: $0 + 1) }
            out.append(NewsArticle(id: row[idColumn], label: label, title: titleColumn.map { row[$0] },
                                   text: row[textColumn], line: row.line))
        }
        return out
    }

    /// The `news_id` column of a raw article file, in file order: the graph's node order.
    public static func readArticleIds(_ path: String) throws -> [String] {
        try readRaw(path).map { $0.id! }
    }

    /// JSON Lines articles.
    public static func readJSONL(_ path: String) throws -> [NewsArticle] {
        let reader = try JSONLReader(path: path)
        var out: [NewsArticle] = []
        while let value = try reader.next() {
            let line = reader.lineNumber
            guard let object = value as? [String: Any] else {
                throw PromptAlignError.malformedRow(file: path, line: line, column: nil,
                                                    expected: "a JSON object", found: "\(type(of: value))")
            }
            guard let text = (object["text"] ?? object["content"]) as? String else {
                throw PromptAlignError.malformedRow(file: path, line: line, column: nil,
                                                    expected: "a string field 'text' or 'content'", found: "none")
            }
            var label: Int?
            if let raw = object["label"], !(raw is NSNull) {
                let spelled = (raw as? String) ?? (raw as? NSNumber).map { $0.stringValue } ?? "\(raw)"
                label = try parseLabel(spelled, file: path, line: line, column: nil)
            }
            let id = (object["id"] ?? object["news_id"]).map { ($0 as? String) ?? "\($0)" }
            out.append(NewsArticle(id: id, label: label, title: object["title"] as? String, text: text, line: line))
        }
        return out
    }

    /// RSS/Atom items: id = guid/id (or link), title, text = full content, else description; no label.
    public static func readFeed(_ path: String) throws -> [NewsArticle] {
        try FeedReader.readAll(path: path).map {
            NewsArticle(id: $0.id.isEmpty ? nil : $0.id, label: nil, title: $0.title,
                        text: $0.content.isEmpty ? $0.description : $0.content, line: $0.line)
        }
    }

    /// 0/1, also spelled `real`/`fake` (any case).
    static func parseLabel(_ text: String, file: String, line: Int, column: Int?) throws -> Int {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "0", "real": return 0
        case "1", "fake": return 1
        default:
            throw PromptAlignError.malformedRow(file: file, line: line, column: column,
                                                expected: "a label 0 (real) or 1 (fake)", found: excerpt(text))
        }
    }
}
