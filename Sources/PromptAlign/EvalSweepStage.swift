import Foundation
import Formats
import PipelineEngine

/// `eval.sweep`: gathers `eval.metrics` summaries over K (e.g. the instances of a `matrix: {K: …}`
/// stage) into one table and one figure of accuracy and macro-F1 against K per method.
struct EvalSweepStage: StageType {
    let name = "eval.sweep"
    let version = 1
    let summary = "per-K table and plot (accuracy, macro-F1 ± std) of label-only, prompt-only and P&A eval.metrics JSONs"
    let parameters: [ParameterSpec] = [
        ParameterSpec("label_only", .list(.path), doc: "eval.metrics JSONs of the label-only baseline, one per K"),
        ParameterSpec("prompt_only", .list(.path), doc: "eval.metrics JSONs of prompt-only predictions, one per K"),
        ParameterSpec("prompt_align", .list(.path), doc: "eval.metrics JSONs of P&A, one per K"),
        .output(writing: "the sweep JSON"),
        ParameterSpec("table", .outputPath, doc: "where to write the Markdown table (default: inside the work directory)"),
        ParameterSpec("plot", .outputPath, doc: "where to write the SVG figure (default: inside the work directory)"),
    ]
    let outputs = [OutputSpec("summary", doc: "JSON: per K, each method's metric summary"),
                   OutputSpec("table", doc: "Markdown table, one row per K"),
                   OutputSpec("plot", doc: "accuracy and macro-F1 against K, mean ± std over runs (SVG)")]

    static let methods = ["label_only", "prompt_only", "prompt_align"]

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        if Self.methods.allSatisfy({ p.strings($0).isEmpty }) {
            return [("prompt_align", "give at least one of label_only, prompt_only, prompt_align")]
        }
        return []
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        var rows: [Int: FewShotSweep.Row] = [:]
        for method in Self.methods {
            var seen: [Int: String] = [:]
            for path in p.strings(method) {
                let url = p.resolve(path)
                let summary: MetricSummary
                do { summary = try JSONDecoding.decode(MetricSummary.self, path: url.path) } catch {
                    throw PromptAlignError.io(file: path, message: "not an eval.metrics summary: \(error)")
                }
                guard let k = summary.trainCount else {
                    throw PromptAlignError.mismatch(what: "\(path) (\(method))", expected: "train_count (K), written by eval.metrics",
                                                    found: "none; run eval.metrics again")
                }
                if let other = seen[k] {
                    throw PromptAlignError.mismatch(what: method, expected: "one summary per K", found: "K = \(k) in \(other) and \(path)")
                }
                seen[k] = path
                var row = rows[k] ?? FewShotSweep.Row(k: k)
                switch method {
                case "label_only": row.labelOnly = summary
                case "prompt_only": row.promptOnly = summary
                default: row.aligned = summary
                }
                rows[k] = row
            }
        }
        let sweep = FewShotSweep(rows: Array(rows.values))
        try writeAtomically(Data(try JSONEncoding.bytes(sweep, pretty: true)),
                            to: context.destination("summary", internalFile: "sweep.json"))
        let table = sweep.markdownTable()
        try writeAtomically(Data(table.utf8), to: context.destination("table", parameter: "table", internalFile: "sweep.txt"))
        try writeAtomically(Data(sweep.figure().utf8), to: context.destination("plot", parameter: "plot", internalFile: "sweep.svg"))
        context.log(table)
    }
}
