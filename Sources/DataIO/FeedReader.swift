import Foundation

/// One item of an RSS 2.0 / RSS 1.0 `<item>` or Atom `<entry>`.
public struct FeedItem: Equatable, Sendable {
    /// `<title>`.
    public var title: String
    /// RSS `<description>` or Atom `<summary>` (markup kept as text).
    public var description: String
    /// RSS `<content:encoded>` or Atom `<content>`; empty when absent.
    public var content: String
    /// RSS `<guid>` or Atom `<id>`; falls back to the link.
    public var id: String
    /// RSS `<link>` text or Atom `<link href>` (the `rel="alternate"` one, or the first).
    public var link: String
    /// RSS `<pubDate>` / `<dc:date>` or Atom `<published>` / `<updated>`, as written.
    public var date: String
    /// 1-based line of the item's start tag.
    public var line: Int

    public init(title: String = "", description: String = "", content: String = "", id: String = "",
                link: String = "", date: String = "", line: Int = 0) {
        self.title = title
        self.description = description
        self.content = content
        self.id = id
        self.link = link
        self.date = date
        self.line = line
    }
}

/// Streams the items of an RSS or Atom feed (plain, `.gz` or `.zst`) through libxml2, in constant memory.
/// Malformed XML is reported with libxml2's line and column.
public final class FeedReader: RecordStream {
    private let xml: XMLStreamReader
    /// The path given at creation.
    public var path: String { xml.path }

    public init(path: String) throws { xml = try XMLStreamReader(path: path) }

    /// The next item, or nil after the last one.
    public func next() throws -> FeedItem? {
        while true {
            guard try xml.read() else { return nil }
            if xml.node == .start && (xml.localName == "item" || xml.localName == "entry") && !xml.isEmptyElement { break }
        }
        let itemDepth = xml.depth
        var item = FeedItem(line: xml.line)
        var fields: [String: String] = [:]
        var current: String?   // local name of the direct child whose text we collect
        var text = ""
        while try xml.read() {
            switch xml.node {
            case .start where xml.depth == itemDepth + 1:
                let name = xml.localName
                if name == "link", let href = xml.attribute("href") {
                    let rel = xml.attribute("rel") ?? "alternate"
                    if item.link.isEmpty || rel == "alternate" { item.link = href }
                }
                if !xml.isEmptyElement {
                    current = name
                    text = ""
                }
            case .text where current != nil:
                text += xml.value
            case .end where xml.depth == itemDepth + 1:
                if let name = current, fields[name] == nil {
                    fields[name] = text.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                current = nil
            case .end where xml.depth == itemDepth:
                item.title = fields["title"] ?? ""
                item.description = fields["description"] ?? fields["summary"] ?? ""
                item.content = fields["encoded"] ?? fields["content"] ?? ""
                if item.link.isEmpty { item.link = fields["link"] ?? "" }
                item.id = fields["guid"] ?? fields["id"] ?? item.link
                item.date = fields["pubDate"] ?? fields["date"] ?? fields["published"] ?? fields["updated"] ?? ""
                return item
            default:
                break
            }
        }
        throw DataIOError.syntax(SourcePosition(path: path, line: item.line),
                                 expected: "expected the end of this item before the end of the file")
    }

    /// Every item of `path`.
    public static func readAll(path: String) throws -> [FeedItem] {
        try FeedReader(path: path).remaining()
    }
}
