import Foundation

/// A self-contained HTML report of one run: summary, a timeline drawn in inline SVG, a stage table, the
/// figures and small tables the stages wrote, and failures. No external assets, so it can be mailed or
/// archived.
enum HTMLReport {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func render(pipeline: Pipeline, trace: [TraceEntry], failures: [(stage: String, error: String, log: URL)],
                       figures: ReportFigures) -> String {
        let ran = trace.filter { $0.status == "done" || $0.status == "failed" || $0.status == "cached" }
        let t0 = ran.map(\.start).min() ?? 0, t1 = max(ran.map(\.end).max() ?? 0, t0 + 1e-3)
        let span = t1 - t0
        let rowHeight = 18, labelWidth = 180, chartWidth = 760
        let shown = Array(ran.sorted { $0.start < $1.start }.prefix(2000))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + chartWidth + 20)\" height=\"\(shown.count * rowHeight + 30)\">"
        for k in 0...4 {
            let x = labelWidth + chartWidth * k / 4
            svg += "<line x1=\"\(x)\" y1=\"0\" x2=\"\(x)\" y2=\"\(shown.count * rowHeight)\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(x)\" y=\"\(shown.count * rowHeight + 14)\" font-size=\"10\" text-anchor=\"middle\">\(String(format: "%.2fs", span * Double(k) / 4))</text>"
        }
        for (n, e) in shown.enumerated() {
            let x = Double(labelWidth) + Double(chartWidth) * (e.start - t0) / span
            let w = max(1.5, Double(chartWidth) * (e.end - e.start) / span)
            let color = e.status == "failed" ? "#d9534f" : e.cached ? "#9fb8d0" : "#3c8d5a"
            let y = n * rowHeight
            svg += "<text x=\"4\" y=\"\(y + 13)\" font-size=\"11\">\(escape(e.stage))</text>"
            svg += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(y + 3)\" width=\"\(String(format: "%.1f", w))\" height=\"\(rowHeight - 6)\" fill=\"\(color)\"><title>\(escape(e.stage)): \(e.status), \(String(format: "%.3f", e.wall)) s</title></rect>"
        }
        svg += "</svg>"
        var rows = ""
        for e in trace {
            rows += "<tr class=\"\(e.status)\"><td>\(escape(e.stage))</td><td>\(escape(e.type))</td><td>\(e.status)</td>"
            rows += "<td>\(String(format: "%.3f", e.wall))</td><td>\(String(format: "%.3f", e.cpu))</td><td>\(e.peakRSSKB / 1024)</td>"
            rows += "<td>\(e.attempts)</td><td><code>\(escape(e.key.map { String($0.prefix(12)) } ?? ""))</code></td></tr>\n"
        }
        var failed = ""
        for f in failures {
            let log = LogTail.read(f.log.path, lines: 200, maxBytes: 20000)?.text ?? ""
            failed += "<h3>\(escape(f.stage))</h3><p>\(escape(f.error))</p><pre>\(escape(log))</pre>"
        }
        let counts = ["done", "cached", "failed", "skipped", "cancelled"].map { s in "\(trace.filter { $0.status == s }.count) \(s)" }
        return """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>trellis run: \(escape(pipeline.name))</title>
        <style>
        body{font-family:-apple-system,Helvetica,Arial,sans-serif;margin:2em;color:#222}
        table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;font-size:13px}
        tr.failed td{color:#b52b27}tr.cached td{color:#567}pre{background:#f6f6f6;padding:1em;overflow:auto;max-height:30em}
        .summary{font-size:15px;margin-bottom:1em}
        figure{margin:1.5em 0;overflow-x:auto}figcaption{font-size:13px;margin-bottom:.4em}
        </style></head><body>
        <h1>\(escape(pipeline.name))</h1>
        <div class="summary">spec <code>\(escape(pipeline.file))</code> · \(counts.joined(separator: " · ")) · wall \(String(format: "%.2f", span)) s</div>
        <h2>Timeline</h2>
        \(svg)
        <h2>Stages</h2>
        <table><tr><th>stage</th><th>type</th><th>status</th><th>wall s</th><th>CPU s</th><th>peak RSS MiB</th><th>attempts</th><th>key</th></tr>
        \(rows)</table>
        \(figures.html())\(failures.isEmpty ? "" : "<h2>Failures</h2>" + failed)
        </body></html>

        """
    }
}
