import Foundation
import PipelineEngine
import PromptAlign
import CLISupport

/// `trellis align`: Prompt-and-Align's confidence-informed alignment over a news graph, label-only or
/// with the prompt model's predictions, with metrics.
enum AlignCommand: Command {
    static let name = "align"
    static let summary = "propagate labels (and prompt predictions) over a news graph; report metrics"
    static let usage = """
    USAGE: trellis align --graph GRAPH.tsv --train TRAIN.csv --test TEST.csv [--predictions PRED.csv]
                         [--steps 2] [--percentile 95] --output RESULT.json

    Nodes 0..K-1 of GRAPH.tsv are the K train articles of TRAIN.csv, the next ones the test articles of
    TEST.csv, in file order (split files: no header, label,text). Y holds one-hots of the train labels and,
    for the test nodes, softmax(p) of the prompt predictions with the most confident ones (margin at or
    above the --percentile, numpy's linear interpolation) hardened to one-hots; without --predictions the
    test rows are 0 (the label-only baseline). Ŷ = A_T^steps · Y; the prediction is argmax (ties → real).

    PRED.csv: CSV with a header holding p_real and p_fake (the masked LM's probabilities of the real and
    fake label words, `news` and `rumor`), one row per test article in test-file order; an optional
    `index` column must count 0, 1, 2, …

    OPTIONS (the align.propagate stage's parameters):
    \(schema.usage)

    EXAMPLES:
      trellis align --graph out/graph.tsv --train train_16.csv --test test.csv --output out/label-only.json
      trellis align --graph out/graph.tsv --train train_16.csv --test test.csv --predictions run-0.pred.csv --output -
    """

    /// The command's options: `align.propagate`'s schema. `prompt` follows from --predictions (absent:
    /// label-only), and the result is one file (the stage's list of predictions files is one here).
    static let schema = OptionSchema(stage: PromptAlignStages.alignStage, extra: [
        ParameterSpec("predictions", .path, doc: "CSV with p_real,p_fake per test article; omit for the label-only baseline"),
        OutputFile.parameter("the result JSON: accuracy, macro_f1, full metrics and per-article predictions"),
    ], excluded: ["prompt"])

    static func run(_ args: inout Arguments) throws {
        var values = try schema.read(&args)
        try args.finish()
        let predictions = values["predictions"].map(OptionSchema.text)
        values["prompt"] = .string(predictions == nil ? "none" : "predictions")
        let p = try schema.typed(values)
        let destination = try OutputFile(p.string("output") ?? "-", suffix: ".json")
        defer { destination.discard() }
        let report = try PromptAlignStages.align(p, predictions: predictions)
        try report.write(to: destination.url)
        try destination.publish()
        // The figures on stdout unless the JSON goes there.
        var text = "align (\(report.mode), \(report.steps) steps"
        if let tau = report.threshold {
            text += ", τ = \(String(format: "%.6f", tau)) at the \(report.percentile)th percentile, \(report.hardened) hardened"
        }
        text += "): \(report.trainCount) train + \(report.testCount) test articles, \(report.reached) test articles reached\n"
        if let m = report.metrics { text += m.table() + "\n" }
        text += "→ \(destination.display)"
        if destination.toStdout { print(text, to: &standardError) } else { print(text) }
    }
}
