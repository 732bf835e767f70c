import Foundation

/// The figures of a run report: every SVG file and small `.txt` table among the outputs of the stages that
/// are done or cached, in spec order (outputs by name), read from the files the stage records name. The
/// figures of the stages nothing depends on (the pipeline's end results, such as a sweep's metrics against
/// K) are its main figures, shown first. What cannot be inlined (missing, too large, not an SVG document,
/// not UTF-8) is listed by path.
struct ReportFigures {
    /// Largest SVG inlined.
    static let maxSVGBytes = 2 << 20
    /// Largest text table inlined.
    static let maxTextBytes = 64 << 10

    struct Figure {
        enum Content {
            case svg(String)
            case text(String)
            /// Listed by path only, with the reason.
            case listed(String)
        }
        var stage: String
        var output: String
        /// As the record names it (relative to the project directory, or absolute).
        var path: String
        var url: URL
        var content: Content
        /// Of a stage nothing else depends on.
        var main: Bool
    }

    var figures: [Figure] = []
    var main: [Figure] { figures.filter(\.main) }
    var others: [Figure] { figures.filter { !$0.main } }

    /// Figures of `records` (indexed like `pipeline.stages`, nil for stages that did not finish);
    /// relative output paths are resolved against `projectDirectory`.
    init(pipeline: Pipeline, records: [StageRecord?], projectDirectory: URL) {
        let upstream = Set(pipeline.stages.flatMap(\.dependencies))
        for (i, stage) in pipeline.stages.enumerated() {
            guard let record = records[i] else { continue }
            for name in record.outputs.keys.sorted() {
                let paths: [String]
                switch record.outputs[name]! {
                case .path(let p): paths = [p]
                case .paths(let ps): paths = ps
                case .text: continue
                }
                for path in paths {
                    let ext = PathName.pathExtension(path).lowercased()
                    guard ext == "svg" || ext == "txt" else { continue }
                    let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : projectDirectory.appendingPathComponent(path)
                    figures.append(Figure(stage: stage.id, output: name, path: path, url: url,
                                          content: Self.read(url, svg: ext == "svg"), main: !upstream.contains(i)))
                }
            }
        }
    }

    /// The file's content ready to inline, or why it is only listed.
    static func read(_ url: URL, svg: Bool) -> Figure.Content {
        guard let info = FileDigester.fileInfo(url.path), !info.isDirectory else { return .listed("missing") }
        let limit = svg ? maxSVGBytes : maxTextBytes
        guard info.size <= Int64(limit) else {
            return .listed(String(format: "%.1f MiB, more than the %@ inlined", Double(info.size) / 1048576,
                                  svg ? "2 MiB" : "64 KiB"))
        }
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            return .listed("unreadable or not UTF-8")
        }
        guard svg else { return .text(text) }
        // Inline SVG starts at its root element: an XML declaration, doctype or comment before it is dropped.
        guard let root = text.range(of: "<svg") else { return .listed("not an SVG document") }
        return .svg(String(text[root.lowerBound...]))
    }

    /// `figures` as HTML `<figure>` elements.
    static func html(_ figures: [Figure]) -> String {
        var out = ""
        for f in figures {
            out += "<figure><figcaption><b>\(HTMLReport.escape(f.stage))</b> · \(HTMLReport.escape(f.output)) "
                + "<a href=\"\(HTMLReport.escape(f.url.absoluteString))\"><code>\(HTMLReport.escape(f.path))</code></a></figcaption>\n"
            switch f.content {
            case .svg(let svg): out += svg + "\n"
            case .text(let text): out += TextTables.html(text)
            case .listed(let why):
                out += "<p class=\"listed\"><a href=\"\(HTMLReport.escape(f.url.absoluteString))\">\(HTMLReport.escape(f.path))</a> (\(HTMLReport.escape(why)))</p>\n"
            }
            out += "</figure>\n"
        }
        return out
    }
}
