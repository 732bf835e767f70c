import Foundation

/// Self-contained SVG figures for run reports: a confusion matrix and accuracy / macro-F1 against K.
public enum MetricPlots {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A 2×2 (or n×n) confusion matrix, rows true, columns predicted, cells shaded by row share.
    public static func confusionMatrix(_ confusion: [[Int]], labels: [String] = ["real", "fake"], title: String) -> String {
        let n = confusion.count, cell = 90, left = 110, top = 60
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(left + n * cell + 20)\" height=\"\(top + n * cell + 40)\" font-family=\"Helvetica,Arial,sans-serif\">"
        svg += "<text x=\"10\" y=\"20\" font-size=\"14\">\(escape(title))</text>"
        svg += "<text x=\"\(left + n * cell / 2)\" y=\"\(top - 22)\" font-size=\"12\" text-anchor=\"middle\">predicted</text>"
        svg += "<text x=\"14\" y=\"\(top + n * cell / 2)\" font-size=\"12\">true</text>"
        for i in 0..<n {
            let rowTotal = max(1, confusion[i].reduce(0, +))
            let name = i < labels.count ? labels[i] : "\(i)"
            svg += "<text x=\"\(left - 8)\" y=\"\(top + i * cell + cell / 2 + 4)\" font-size=\"12\" text-anchor=\"end\">\(escape(name))</text>"
            svg += "<text x=\"\(left + i * cell + cell / 2)\" y=\"\(top - 6)\" font-size=\"12\" text-anchor=\"middle\">\(escape(name))</text>"
            for j in 0..<n {
                let share = Double(confusion[i][j]) / Double(rowTotal)
                let shade = Int(255 - 170 * share)
                svg += "<rect x=\"\(left + j * cell)\" y=\"\(top + i * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#fff\"/>"
                svg += "<text x=\"\(left + j * cell + cell / 2)\" y=\"\(top + i * cell + cell / 2 + 5)\" font-size=\"15\" text-anchor=\"middle\">\(confusion[i][j])</text>"
            }
        }
        return svg + "</svg>\n"
    }

    /// Size of a `perK` plot.
    public static let perKWidth = 520, perKHeight = 300

    /// Several SVG figures of `panelWidth` × `height` in a row, as one SVG.
    public static func sideBySide(_ panels: [String], panelWidth: Int, height: Int) -> String {
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(panelWidth * panels.count)\" height=\"\(height)\">"
        for (n, panel) in panels.enumerated() { svg += "<g transform=\"translate(\(n * panelWidth),0)\">\(panel)</g>" }
        return svg + "</svg>\n"
    }

    /// One line per series over K (log-spaced x), with ±std error bars; values in [0, 1].
    public static func perK(series: [(name: String, points: [(k: Int, mean: Double, std: Double)])], metric: String) -> String {
        let width = perKWidth, height = perKHeight, left = 60, right = 130, top = 30, bottom = 40
        let ks = Array(Set(series.flatMap { $0.points.map(\.k) })).sorted()
        let values = series.flatMap { $0.points.flatMap { [$0.mean - $0.std, $0.mean + $0.std] } }
        let lo = max(0, ((values.min() ?? 0) * 20).rounded(.down) / 20), hi = min(1, ((values.max() ?? 1) * 20).rounded(.up) / 20)
        let span = max(hi - lo, 0.05)
        func x(_ k: Int) -> Double {
            guard ks.count > 1 else { return Double(left + (width - left - right) / 2) }
            let a = log2(Double(ks.first!)), b = log2(Double(ks.last!))
            return Double(left) + (log2(Double(k)) - a) / (b - a) * Double(width - left - right)
        }
        func y(_ v: Double) -> Double { Double(top) + (hi - v) / span * Double(height - top - bottom) }
        let colors = ["#3c6fb0", "#d9822b", "#3c8d5a", "#b04a6f"]
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"Helvetica,Arial,sans-serif\">"
        svg += "<text x=\"10\" y=\"18\" font-size=\"14\">\(escape(metric)) against K (mean ± std over runs)</text>"
        for t in 0...4 {
            let v = lo + span * Double(t) / 4
            svg += String(format: "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>", left, y(v), width - right, y(v))
            svg += String(format: "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.1f</text>", left - 6, y(v) + 3, 100 * v)
        }
        for k in ks {
            svg += String(format: "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">K=%d</text>", x(k), height - bottom + 16, k)
        }
        for (n, s) in series.enumerated() {
            let c = colors[n % colors.count]
            let pts = s.points.sorted { $0.k < $1.k }
            svg += "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\" points=\""
                + pts.map { String(format: "%.1f,%.1f", x($0.k), y($0.mean)) }.joined(separator: " ") + "\"/>"
            for p in pts {
                svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\"/>", x(p.k), y(p.mean - p.std), x(p.k), y(p.mean + p.std), c)
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", x(p.k), y(p.mean), c)
            }
            svg += "<text x=\"\(width - right + 10)\" y=\"\(top + 16 * n + 10)\" font-size=\"12\" fill=\"\(c)\">\(escape(s.name))</text>"
        }
        return svg + "</svg>\n"
    }
}
