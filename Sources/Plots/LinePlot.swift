import Foundation

/// Lines of (x, y) points with optional ± error bars, axis labels, ticks and a legend beside the plot.
/// Both axes cover all the data (nothing is clipped) and the legend's width follows its longest name.
public struct LinePlot: Sendable {
    public struct Point: Sendable {
        public var x: Double
        public var y: Double
        /// Half-height of an error bar (e.g. one standard deviation), or nil.
        public var error: Double?
        public init(x: Double, y: Double, error: Double? = nil) { self.x = x; self.y = y; self.error = error }
    }
    public struct Series: Sendable {
        public var name: String
        public var points: [Point]
        /// A CSS colour; nil takes the next palette colour.
        public var color: String?
        public init(name: String, points: [Point], color: String? = nil) { self.name = name; self.points = points; self.color = color }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var xScale: Scale.Kind = .linear
    /// Explicit x ticks (e.g. the K values of a sweep); nil uses round numbers.
    public var xTicks: [Double]? = nil
    /// Width and height of the plotting area in px (margins and legend come on top).
    public var plotWidth = 330
    public var plotHeight = 220

    public init(title: String, xLabel: String, yLabel: String, series: [Series], xScale: Scale.Kind = .linear) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xScale = xScale
    }

    /// Font sizes: tick labels, axis labels, title.
    static let tickSize = 12, labelSize = 13, titleSize = 14

    public func render() -> Figure {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        var yScale = Scale(covering: points.flatMap { [$0.y - ($0.error ?? 0), $0.y + ($0.error ?? 0)] })
        var xs = Scale(covering: points.map(\.x) + (xTicks ?? []), kind: xScale)
        let yTicks = yScale.ticks()
        let tickChars = yTicks.map { SVG.textWidth(yScale.label($0), size: Self.tickSize) }.max() ?? 20
        let left = 14 + Double(Self.labelSize) + tickChars + 10, top = 30.0
        let bottom = 48.0, w = Double(plotWidth), h = Double(plotHeight)
        let legendNames = series.filter { !$0.points.isEmpty }.map(\.name)
        let legendWidth = legendNames.isEmpty ? 10 : 36 + (legendNames.map { SVG.textWidth($0, size: Self.tickSize) }.max() ?? 0)
        // The title may be wider than plot + legend: widen the figure rather than cut it.
        let titleWidth = SVG.textWidth(title, size: Self.titleSize) + 20
        let width = Int(max(left + w + legendWidth, titleWidth).rounded(.up))
        let height = Int(top + h + bottom)
        yScale.from = top + h; yScale.to = top
        xs.from = left + 8; xs.to = left + w - 8

        var body = SVG.text(title, x: 10, y: 19, size: Self.titleSize, bold: true)
        for t in yTicks {
            body += SVG.line(left, yScale.map(t), left + w, yScale.map(t), stroke: "#e6e6e6")
            body += SVG.text(yScale.label(t), x: left - 6, y: yScale.map(t) + 4, size: Self.tickSize, anchor: "end")
        }
        for t in xTicks ?? xs.ticks() {
            body += SVG.line(xs.map(t), top + h, xs.map(t), top + h + 4, stroke: "#444")
            body += SVG.text(xs.label(t), x: xs.map(t), y: top + h + 18, size: Self.tickSize, anchor: "middle")
        }
        body += SVG.line(left, top, left, top + h, stroke: "#444") + SVG.line(left, top + h, left + w, top + h, stroke: "#444")
        body += SVG.text(xLabel, x: left + w / 2, y: top + h + 40, size: Self.labelSize, anchor: "middle")
        body += SVG.text(yLabel, x: 16, y: top + h / 2, size: Self.labelSize, anchor: "middle", rotate: true)
        var legendRow = 0
        for (n, s) in series.enumerated() {
            let c = s.color ?? SVG.palette[n % SVG.palette.count]
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite }.sorted { $0.x < $1.x }
            guard !pts.isEmpty else { continue }
            body += "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\" points=\""
                + pts.map { SVG.n(xs.map($0.x)) + "," + SVG.n(yScale.map($0.y)) }.joined(separator: " ") + "\"/>"
            for p in pts where p.error != nil || pts.count <= 40 {
                if let e = p.error { body += SVG.line(xs.map(p.x), yScale.map(p.y - e), xs.map(p.x), yScale.map(p.y + e), stroke: c) }
                body += "<circle cx=\"\(SVG.n(xs.map(p.x)))\" cy=\"\(SVG.n(yScale.map(p.y)))\" r=\"3\" fill=\"\(c)\"/>"
            }
            let ly = top + 8 + Double(legendRow) * 18
            body += SVG.line(left + w + 12, ly - 4, left + w + 28, ly - 4, stroke: c, width: 2)
            body += SVG.text(s.name, x: left + w + 32, y: ly, size: Self.tickSize, fill: c)
            legendRow += 1
        }
        return Figure(width: width, height: height, body: body)
    }
}
