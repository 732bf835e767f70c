import Foundation
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

    OPTIONS:
      --graph GRAPH.tsv          row<TAB>col<TAB>weight edge list (from trellis news-graph or prebuilt)
      --train TRAIN.csv          the K labelled articles
      --test TEST.csv            the test articles (labels used for the metrics)
      --predictions PRED.csv     prompt predictions; omit for label-only
      --steps N                  propagation steps (default 2)
      --percentile Q             hardening percentile in 0...100 (default 95)
      --output RESULT.json       accuracy, macro_f1, full metrics and per-article predictions (atomic)
    """

    static func run(_ args: inout Arguments) throws {
        let graphPath = try args.required("graph")
        let trainPath = try args.required("train")
        let testPath = try args.required("test")
        let predictionsPath = try args.option("predictions")
        let parameters = AlignmentParameters(steps: try args.option("steps", default: 2),
                                             percentile: try args.option("percentile", default: 95.0))
        let output = try args.required("output")
        try args.finish()

        let train = try NewsReader.readSplit(trainPath)
        let test = try NewsReader.readSplit(testPath)
        // The node count comes from the file (P&A graphs hold every node's self-loop), so a graph made for
        // another split is caught by the size check rather than padded.
        let graph = try NewsGraph.readEdgeList(URL(fileURLWithPath: graphPath))
        let predictions = try predictionsPath.map { try PromptPredictions.read($0, expectedCount: test.count) }
        let result = try Alignment.propagate(graph: graph.adjacency, trainLabels: train.map { $0.label! },
                                             testCount: test.count, testProbabilities: predictions,
                                             parameters: parameters)
        let report = try AlignmentReport(result: result, parameters: parameters, trainCount: train.count,
                                         testLabels: test.map(\.label), prompted: predictions != nil)
        try report.write(to: URL(fileURLWithPath: output))
        var header = "align (\(report.mode), \(parameters.steps) steps"
        if let tau = report.threshold {
            header += ", τ = \(String(format: "%.6f", tau)) at the \(parameters.percentile)th percentile, \(report.hardened) hardened"
        }
        print(header + "): \(train.count) train + \(test.count) test articles, \(report.reached) test articles reached")
        if let m = report.metrics { print(m.table()) }
        print("→ \(output)")
    }
}
