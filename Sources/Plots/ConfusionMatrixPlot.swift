import Foundation

/// An n×n confusion matrix: rows are true classes, columns predicted ones, cells shaded by row share.
public struct ConfusionMatrixPlot: Sendable {
    /// `counts[true][predicted]`.
    public var counts: [[Int]]
    public var labels: [String]
    public var title: String

    public init(counts: [[Int]], labels: [String] = ["real", "fake"], title: String) {
        self.counts = counts
        self.labels = labels
        self.title = title
    }

    public func render() -> Figure {
        let n = counts.count, cell = 80.0, top = 62.0
        let names = (0..<n).map { $0 < labels.count ? labels[$0] : "\($0)" }
        let left = 40 + (names.map { SVG.textWidth($0, size: 12) }.max() ?? 20)
        let width = Int(max(left + Double(n) * cell + 20, SVG.textWidth(title, size: 14) + 20))
        var body = SVG.text(title, x: 10, y: 19, size: 14, bold: true)
        body += SVG.text("predicted", x: left + Double(n) * cell / 2, y: top - 24, size: 13, anchor: "middle")
        body += SVG.text("true", x: 16, y: top + Double(n) * cell / 2, size: 13, anchor: "middle", rotate: true)
        for i in 0..<n {
            let rowTotal = max(1, counts[i].reduce(0, +))
            let y = top + Double(i) * cell
            body += SVG.text(names[i], x: left - 8, y: y + cell / 2 + 4, size: 12, anchor: "end")
            body += SVG.text(names[i], x: left + Double(i) * cell + cell / 2, y: top - 6, size: 12, anchor: "middle")
            for j in 0..<min(n, counts[i].count) {
                let share = Double(counts[i][j]) / Double(rowTotal)
                let shade = Int(255 - 170 * share)
                let x = left + Double(j) * cell
                body += "<rect x=\"\(SVG.n(x))\" y=\"\(SVG.n(y))\" width=\"\(Int(cell))\" height=\"\(Int(cell))\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#fff\"/>"
                body += SVG.text(String(counts[i][j]), x: x + cell / 2, y: y + cell / 2 + 5, size: 15, anchor: "middle")
            }
        }
        return Figure(width: width, height: Int(top + Double(n) * cell + 16), body: body)
    }
}
