import Foundation

/// One bar per row on a time axis (a Gantt chart): when each task ran, coloured by outcome.
public struct TimelinePlot: Sendable {
    public struct Bar: Sendable {
        public var label: String
        /// Seconds from the start of the axis.
        public var start: Double
        public var end: Double
        public var color: String
        /// Hover text.
        public var tooltip: String
        public init(label: String, start: Double, end: Double, color: String, tooltip: String) {
            self.label = label; self.start = start; self.end = end; self.color = color; self.tooltip = tooltip
        }
    }
    public var bars: [Bar]
    public var chartWidth = 760

    public init(bars: [Bar]) { self.bars = bars }

    public func render() -> Figure {
        let row = 20.0, top = 6.0
        let labelWidth = min(320, 16 + (bars.map { SVG.textWidth($0.label, size: 12) }.max() ?? 40))
        let w = Double(chartWidth)
        var x = Scale(covering: [0] + bars.map(\.end))
        x.from = labelWidth; x.to = labelWidth + w
        let bottom = top + Double(bars.count) * row
        var body = ""
        for t in x.ticks() {
            body += SVG.line(x.map(t), top, x.map(t), bottom, stroke: "#e3e3e3")
            body += SVG.text(x.label(t), x: x.map(t), y: bottom + 16, size: 12, anchor: "middle")
        }
        body += SVG.text("seconds since the run started", x: labelWidth + w / 2, y: bottom + 36, size: 13, anchor: "middle")
        for (n, b) in bars.enumerated() {
            let y = top + Double(n) * row
            let x0 = x.map(b.start), width = max(1.5, x.map(b.end) - x0)
            body += SVG.text(b.label, x: 4, y: y + 14, size: 12)
            body += "<rect x=\"\(SVG.n(x0))\" y=\"\(SVG.n(y + 3))\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(row - 6))\" "
                + "fill=\"\(b.color)\"><title>\(SVG.escape(b.tooltip))</title></rect>"
        }
        return Figure(width: Int(labelWidth + w + 20), height: Int(bottom + 46), body: body)
    }
}
