import Foundation

/// The learning curve of a masked-LM adaptation run as a self-contained SVG: held-out top-1 / top-10
/// accuracy (left axis, 0–1) and held-out loss and training loss in nats (right axis) against step.
enum MLMCurve {
    static func svg(log: [[String: Any]], title: String) -> String {
        let w = 720.0, h = 340.0, left = 50.0, right = 190.0, top = 30.0, bottom = 40.0
        let maxStep = Double(max(1, log.compactMap { $0["step"] as? Int }.max() ?? 1))
        let losses = log.flatMap { r in ["loss", "eval_loss"].compactMap { r[$0] as? Double } }.filter(\.isFinite)
        let lossMax = max(1, (losses.max() ?? 1).rounded(.up))
        func x(_ s: Double) -> Double { left + (w - left - right) * s / maxStep }
        func y(_ fraction: Double) -> Double { h - bottom - (h - top - bottom) * min(max(fraction, 0), 1) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(left)\" y=\"18\" font-size=\"13\">\(MetricPlots.escape(title))</text>\n"
        out += "<path d=\"M\(left) \(top) V\(h - bottom) H\(w - right) V\(top)\" fill=\"none\" stroke=\"black\"/>\n"
        for i in 0...4 {
            let f = Double(i) / 4
            out += "<text x=\"\(left - 5)\" y=\"\(y(f) + 4)\" text-anchor=\"end\">\(String(format: "%.2f", f))</text>\n"
            out += "<text x=\"\(w - right + 5)\" y=\"\(y(f) + 4)\">\(String(format: "%.1f", f * lossMax))</text>\n"
            out += "<text x=\"\(x(f * maxStep))\" y=\"\(h - bottom + 15)\" text-anchor=\"middle\">\(Int(f * maxStep))</text>\n"
        }
        out += "<text x=\"\((left + w - right) / 2)\" y=\"\(h - 6)\" text-anchor=\"middle\">step</text>\n"
        let series: [(key: String, scale: Double, color: String, label: String)] = [
            ("eval_top1", 1, "#3c6fb0", "held-out top-1 (left)"), ("eval_top10", 1, "#3c8d5a", "held-out top-10 (left)"),
            ("eval_loss", lossMax, "#d9822b", "held-out loss, nats (right)"), ("loss", lossMax, "#999999", "train loss, nats (right)"),
        ]
        for (i, s) in series.enumerated() {
            let points = log.compactMap { r -> String? in
                guard let step = r["step"] as? Int, let v = r[s.key] as? Double, v.isFinite else { return nil }
                return String(format: "%.1f,%.1f", x(Double(step)), y(v / s.scale))
            }
            if !points.isEmpty {
                out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
            }
            let ly = top + 16 * Double(i) + 40
            out += "<line x1=\"\(w - right + 40)\" y1=\"\(ly - 4)\" x2=\"\(w - right + 60)\" y2=\"\(ly - 4)\" stroke=\"\(s.color)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(w - right + 64)\" y=\"\(ly)\">\(s.label)</text>\n"
        }
        return out + "</svg>\n"
    }
}
