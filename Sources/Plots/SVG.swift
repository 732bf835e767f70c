import Foundation

/// Building blocks of the self-contained SVG figures: escaping, coordinates, text and the document root.
public enum SVG {
    /// Text and attribute values with `&`, `<`, `>` and `"` escaped.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A coordinate with one decimal (enough for screen pixels, and stable in tests).
    static func n(_ v: Double) -> String { String(format: "%.1f", v) }

    /// A `<text>` element; sizes are in px (the report keeps every label at 11 px or more).
    static func text(_ s: String, x: Double, y: Double, size: Int = 12, anchor: String = "start",
                     fill: String? = nil, rotate: Bool = false, bold: Bool = false) -> String {
        var a = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(size)\""
        if anchor != "start" { a += " text-anchor=\"\(anchor)\"" }
        if let fill { a += " fill=\"\(fill)\"" }
        if bold { a += " font-weight=\"bold\"" }
        if rotate { a += " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" }
        return "<text \(a)>\(escape(s))</text>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\""
            + (width == 1 ? "" : " stroke-width=\"\(n(width))\"") + "/>"
    }

    /// Approximate rendered width of `s` in a sans-serif font of `size` px (for margins and legends, so
    /// labels are not cut off; generous rather than tight).
    static func textWidth(_ s: String, size: Int) -> Double { Double(s.count) * Double(size) * 0.62 }

    /// Colours of successive series.
    static let palette = ["#3c6fb0", "#d9822b", "#3c8d5a", "#b04a6f", "#7a5cb0", "#888888"]
}

/// A finished figure: its size and SVG markup (a root `<svg>` element).
public struct Figure: Sendable {
    public var width: Int
    public var height: Int
    /// The root `<svg>` element, white background, fonts set.
    public var svg: String

    /// Wraps `body` (drawn in a `width` × `height` box) in a root element.
    init(width: Int, height: Int, body: String) {
        self.width = width
        self.height = height
        svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" font-family=\"Helvetica,Arial,sans-serif\">"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>" + body + "</svg>\n"
    }

    /// Figures placed left to right in one SVG, aligned at the top.
    public static func row(_ figures: [Figure], gap: Int = 10) -> Figure {
        var x = 0, body = ""
        for f in figures {
            body += "<g transform=\"translate(\(x),0)\">\(f.svg)</g>"
            x += f.width + gap
        }
        return Figure(width: max(0, x - gap), height: figures.map(\.height).max() ?? 0, body: body)
    }
}
