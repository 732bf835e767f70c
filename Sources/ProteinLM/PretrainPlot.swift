import Foundation

/// A self-contained SVG of the training curve (loss) and held-out MLM / CLM perplexities against step.
enum PretrainPlot {
    static func svg(log: [[String: Any]]) -> String {
        let series: [(key: String, color: String, label: String)] = [
            ("loss", "#888888", "train loss (nats)"), ("eval_mlm_ppl", "#1f77b4", "held-out MLM ppl"),
            ("eval_clm_ppl", "#d62728", "held-out CLM ppl"),
            ("eval_glm_ppl", "#2ca02c", "held-out GLM ppl (half-window context)"),
        ]
        let w = 720.0, h = 360.0, left = 60.0, bottom = 40.0, top = 20.0, right = 180.0
        let maxStep = Double(log.compactMap { $0["step"] as? Int }.max() ?? 1)
        var yMax = 1.0
        for s in series { for r in log { if let v = r[s.key] as? Double, v.isFinite { yMax = max(yMax, min(v, 40)) } } }
        func x(_ step: Double) -> Double { left + (w - left - right) * step / max(maxStep, 1) }
        func y(_ v: Double) -> Double { h - bottom - (h - top - bottom) * min(v, 40) / yMax }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - right)\" y2=\"\(h - bottom)\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(h - bottom)\" stroke=\"black\"/>\n"
        for i in 0...4 {
            let v = yMax * Double(i) / 4
            out += "<text x=\"\(left - 6)\" y=\"\(y(v) + 4)\" text-anchor=\"end\">\(String(format: "%.1f", v))</text>\n"
            let s = maxStep * Double(i) / 4
            out += "<text x=\"\(x(s))\" y=\"\(h - bottom + 16)\" text-anchor=\"middle\">\(Int(s))</text>\n"
        }
        out += "<text x=\"\((left + w - right) / 2)\" y=\"\(h - 6)\" text-anchor=\"middle\">step</text>\n"
        for (i, s) in series.enumerated() {
            let pts = log.compactMap { r -> String? in
                guard let st = r["step"] as? Int, let v = r[s.key] as? Double, v.isFinite else { return nil }
                return String(format: "%.1f,%.1f", x(Double(st)), y(v))
            }
            if !pts.isEmpty {
                out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\" points=\"\(pts.joined(separator: " "))\"/>\n"
            }
            out += "<text x=\"\(w - right + 10)\" y=\"\(top + 16 + Double(i) * 16)\" fill=\"\(s.color)\">\(s.label)</text>\n"
        }
        return out + "</svg>\n"
    }
}
