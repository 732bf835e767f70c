import DataIO
import Foundation
import PromptAlign

/// `trellis prompt-align-report`: the closing table over several `trellis prompt-align` output
/// directories (one per K), from the finished runs found there, with per-K plots.
enum PromptAlignReportCommand: Command {
    static let name = "prompt-align-report"
    static let summary = "table and per-K plots (SVG) over trellis prompt-align output directories"
    static let usage = """
    USAGE: trellis prompt-align-report DIR... [--plot-prefix PREFIX]

    Reads run-N.json (and summary.json's label-only figure, when present) in each DIR written by
    `trellis prompt-align`, and prints one Markdown row per DIR: K, runs, label-only, prompt-only and P&A
    accuracy and macro-F1 (mean ± population std over runs, ×100) and seconds per run. Unfinished
    experiments are reported over the runs that finished. With --plot-prefix, writes PREFIX-accuracy.svg
    and PREFIX-macro-f1.svg (prompt-only and P&A against K, ± std).
    """

    struct Row {
        var k: Int
        var runs: [FewShotRun]
        var labelOnly: ClassificationMetrics?
    }

    static func run(_ args: inout Arguments) throws {
        let prefix = try args.option("plot-prefix")
        let dirs = args.positionals()
        try args.finish()
        guard !dirs.isEmpty else { print(usage); throw ExitStatus(code: 2) }
        var rows: [Row] = []
        let fm = FileManager.default
        for dir in dirs {
            let url = URL(fileURLWithPath: dir)
            let names = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("run-") && $0.hasSuffix(".json") }.sorted()
            let runs = try names.map { try JSONDecoder().decode(FewShotRun.self, from: Data(contentsOf: url.appendingPathComponent($0))) }
            let summary = try? JSONDecoder().decode(FewShotSummary.self, from: Data(contentsOf: url.appendingPathComponent("summary.json")))
            guard let k = summary?.trainCount ?? runs.first.map({ _ in Int(url.lastPathComponent.filter(\.isNumber)) ?? 0 }) else {
                print("\(dir): no finished runs"); continue
            }
            rows.append(Row(k: k, runs: runs.sorted { $0.run < $1.run }, labelOnly: summary?.labelOnly))
        }
        rows.sort { $0.k < $1.k }
        func pm(_ v: [Double]) -> String {
            guard !v.isEmpty else { return "–" }
            let s = Spread(v)
            return String(format: "%.2f ± %.2f", 100 * s.mean, 100 * s.std)
        }
        print("| K | runs | label-only acc | label-only F1 | prompt-only acc | prompt-only F1 | P&A acc | P&A F1 | s / run |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows {
            let lo = r.labelOnly.map { (String(format: "%.2f", 100 * $0.accuracy), String(format: "%.2f", 100 * $0.macroF1)) } ?? ("–", "–")
            let aligned = r.runs.compactMap(\.aligned)
            let secs = r.runs.isEmpty ? "–" : String(format: "%.0f", r.runs.map { $0.fineTuneSeconds + $0.scoreSeconds }.reduce(0, +) / Double(r.runs.count))
            print("| \(r.k) | \(r.runs.count) | \(lo.0) | \(lo.1) | \(pm(r.runs.map(\.promptOnly.accuracy))) | \(pm(r.runs.map(\.promptOnly.macroF1))) "
                  + "| \(pm(aligned.map(\.accuracy))) | \(pm(aligned.map(\.macroF1))) | \(secs) |")
        }
        if let prefix {
            for (metric, file, pick) in [("accuracy", "accuracy", { (m: ClassificationMetrics) in m.accuracy }),
                                         ("macro-F1", "macro-f1", { (m: ClassificationMetrics) in m.macroF1 })] {
                func points(_ f: (FewShotRun) -> ClassificationMetrics?) -> [(k: Int, mean: Double, std: Double)] {
                    rows.compactMap { r in
                        let v = r.runs.compactMap(f).map(pick)
                        guard !v.isEmpty else { return nil }
                        let s = Spread(v)
                        return (r.k, s.mean, s.std)
                    }
                }
                var series = [("prompt-only", points { $0.promptOnly }), ("P&A", points { $0.aligned })]
                let lo = rows.compactMap { r in r.labelOnly.map { (k: r.k, mean: pick($0), std: 0.0) } }
                if !lo.isEmpty { series.append(("label-only", lo)) }
                let svg = MetricPlots.perK(series: series.map { (name: $0.0, points: $0.1) }, metric: metric)
                try AtomicFileWriter.write(Array(svg.utf8), to: "\(prefix)-\(file).svg")
                print("→ \(prefix)-\(file).svg")
            }
        }
    }
}
