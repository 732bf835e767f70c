import DataIO
import Foundation
import PipelineEngine
import Formats
import PromptAlign
import CLISupport

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
    and PREFIX-macro-f1.svg (prompt-only, P&A and label-only against K, ± std).

    OPTIONS:
    \(schema.usage)

    EXAMPLES:
      trellis prompt-align-report out/pa-16 out/pa-32 --plot-prefix out/pa
    """

    static let schema = OptionSchema([
        ParameterSpec("plot_prefix", .string, doc: "also write PREFIX-accuracy.svg and PREFIX-macro-f1.svg"),
    ])

    static func run(_ args: inout Arguments) throws {
        let values = try schema.read(&args)
        let dirs = try args.positionals()
        try args.finish()
        let prefix = try schema.typed(values).string("plot_prefix")
        guard !dirs.isEmpty else { throw ArgumentError.positionalCount(expected: ["DIR..."], got: []) }
        var rows: [FewShotSweep.Row] = []
        let fm = FileManager.default
        for dir in dirs {
            let url = URL(fileURLWithPath: dir)
            let names = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("run-") && $0.hasSuffix(".json") }.sorted()
            let runs = try names.map { try JSONDecoding.decode(FewShotRun.self, path: url.appendingPathComponent($0).path) }
            let summary = try? JSONDecoding.decode(FewShotSummary.self, path: url.appendingPathComponent("summary.json").path)
            guard let k = summary?.trainCount ?? runs.first.map({ _ in Int(url.lastPathComponent.filter(\.isNumber)) ?? 0 }) else {
                print("\(dir): no finished runs"); continue
            }
            let aligned = runs.compactMap(\.aligned)
            rows.append(FewShotSweep.Row(
                k: k, labelOnly: try summary?.labelOnly.map { try MetricSummary([$0]) },
                promptOnly: runs.isEmpty ? nil : try MetricSummary(runs.map(\.promptOnly)),
                aligned: aligned.isEmpty ? nil : try MetricSummary(aligned),
                secondsPerRun: runs.isEmpty ? nil : runs.map { $0.fineTuneSeconds + $0.scoreSeconds }.reduce(0, +) / Double(runs.count)))
        }
        let sweep = FewShotSweep(rows: rows)
        print(sweep.markdownTable(), terminator: "")
        if let prefix {
            for (file, f1) in [("accuracy", false), ("macro-f1", true)] {
                try AtomicFileWriter.write(Array(sweep.plot(macroF1: f1).utf8), to: "\(prefix)-\(file).svg")
                print("→ \(prefix)-\(file).svg")
            }
        }
    }
}
