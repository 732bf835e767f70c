import Foundation
import Plots

/// Few-shot results over several K: per K, the label-only baseline, prompt-only and P&A metrics (mean ±
/// std over runs), as a Markdown table and per-K plots.
public struct FewShotSweep: Codable, Sendable {
    /// One K.
    public struct Row: Codable, Sendable {
        public var k: Int
        public var labelOnly: MetricSummary?
        public var promptOnly: MetricSummary?
        public var aligned: MetricSummary?
        /// Mean seconds per run (fine-tune + score), when known.
        public var secondsPerRun: Double?

        enum CodingKeys: String, CodingKey {
            case k, labelOnly = "label_only", promptOnly = "prompt_only", aligned, secondsPerRun = "seconds_per_run"
        }

        /// The figures of one K; a method that did not run is nil.
        public init(k: Int, labelOnly: MetricSummary? = nil, promptOnly: MetricSummary? = nil, aligned: MetricSummary? = nil,
                    secondsPerRun: Double? = nil) {
            self.k = k
            self.labelOnly = labelOnly
            self.promptOnly = promptOnly
            self.aligned = aligned
            self.secondsPerRun = secondsPerRun
        }

        /// Runs of the prompt methods (of the baseline when there are none).
        public var runs: Int { promptOnly?.runs ?? aligned?.runs ?? labelOnly?.runs ?? 0 }
    }

    /// Sorted by K.
    public var rows: [Row]

    /// A sweep over `rows`, in any order.
    public init(rows: [Row]) {
        self.rows = rows.sorted { $0.k < $1.k }
    }

    /// The methods in plot order, with how to find each in a row.
    static let methods: [(name: String, pick: @Sendable (Row) -> MetricSummary?)] = [
        ("prompt-only", { $0.promptOnly }), ("P&A", { $0.aligned }), ("label-only", { $0.labelOnly }),
    ]

    /// One Markdown row per K: accuracy and macro-F1 ×100, mean ± population std over runs (the baseline,
    /// usually one run, without ±), and seconds per run.
    public func markdownTable() -> String {
        func pm(_ s: Spread?) -> String { s.map { String(format: "%.2f ± %.2f", 100 * $0.mean, 100 * $0.std) } ?? "–" }
        func plain(_ m: MetricSummary?, _ s: Spread?) -> String {
            guard let m, let s else { return "–" }
            return m.runs == 1 ? String(format: "%.2f", 100 * s.mean) : pm(s)
        }
        var out = "| K | runs | label-only acc | label-only F1 | prompt-only acc | prompt-only F1 | P&A acc | P&A F1 | s / run |\n"
        out += "|---|---|---|---|---|---|---|---|---|\n"
        for r in rows {
            out += "| \(r.k) | \(r.runs) | \(plain(r.labelOnly, r.labelOnly?.accuracy)) | \(plain(r.labelOnly, r.labelOnly?.macroF1)) "
                + "| \(pm(r.promptOnly?.accuracy)) | \(pm(r.promptOnly?.macroF1)) | \(pm(r.aligned?.accuracy)) | \(pm(r.aligned?.macroF1)) "
                + "| \(r.secondsPerRun.map { String(format: "%.0f", $0) } ?? "–") |\n"
        }
        return out
    }

    /// Accuracy or macro-F1 (×100) against K on a log2 axis, one line per method present, ± std.
    public func plot(macroF1: Bool) -> String { panel(macroF1: macroF1).svg }

    func panel(macroF1: Bool) -> Figure {
        var series: [LinePlot.Series] = []
        for (name, pick) in Self.methods {
            let points = rows.compactMap { r in
                pick(r).map { m -> LinePlot.Point in
                    let s = macroF1 ? m.macroF1 : m.accuracy
                    return LinePlot.Point(x: Double(r.k), y: 100 * s.mean, error: 100 * s.std)
                }
            }
            if !points.isEmpty { series.append(LinePlot.Series(name: name, points: points)) }
        }
        let metric = macroF1 ? "macro-F1" : "accuracy"
        var plot = LinePlot(title: "\(metric) against K (mean ± std over runs)", xLabel: "K (labelled training articles)",
                            yLabel: "\(metric) (%)", series: series, xScale: .log2)
        plot.xTicks = rows.map { Double($0.k) }
        return plot.render()
    }

    /// Accuracy and macro-F1 against K, side by side in one SVG.
    public func figure() -> String {
        Figure.row([panel(macroF1: false), panel(macroF1: true)]).svg
    }
}
