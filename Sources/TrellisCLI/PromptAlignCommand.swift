import Foundation
import Formats
import DataIO
import PromptAlign
import Transformers
import CLISupport

/// `trellis prompt-align`: the whole few-shot experiment in one command — N runs of fine-tune → score →
/// align on one K-shot split, with the label-only baseline, prompt-only and P&A figures (mean ± std).
enum PromptAlignCommand: Command {
    static let name = "prompt-align"
    static let summary = "few-shot Prompt-and-Align: N fine-tuning runs, prompt-only and aligned metrics"
    static let usage = """
    USAGE: trellis prompt-align --model DIR --train TRAIN.csv --test TEST.csv [--graph GRAPH.tsv]
                                [--runs 5] [--seed 0] [--mode reference|corrected] --output-dir DIR

    Fine-tunes the BERT or RoBERTa masked LM in DIR on the K articles of TRAIN.csv with the authors'
    protocol (AdamW lr 5e-5, batch 16, linear decay without warm-up, 3 epochs for K ≤ 32 and 5 above, BCE
    on the label-word probabilities), scores TEST.csv, and aligns the predictions over GRAPH.tsv (nodes:
    train then test). Each run restarts from the pretrained weights with seed SEED + run. A checkpoint
    without a masked-LM head (all-MiniLM-L6-v2) gets an initialised head, with a warning. RoBERTa label
    words are spelled as they appear in the mask's place (`news` at the start of a text, `Ġnews` after a
    space) and must be single tokens there.

    Writes into --output-dir: run-N.pred.csv (p_real,p_fake per test article, for trellis align),
    run-N.json (loss curve, timings, metrics), summary.json and summary.txt (label-only, prompt-only and
    P&A: accuracy and macro-F1, mean ± std over runs). Finished runs found there are kept, so an
    interrupted experiment resumes.

    OPTIONS:
      --model DIR              BERT or RoBERTa masked LM (config.json, model.safetensors, tokenizer files)
      --train / --test         split CSVs (no header, label,text; 0 real, 1 fake)
      --graph GRAPH.tsv        news graph (trellis news-graph or the authors' fang_graph_K.tsv); omit: no alignment
      --runs N                 runs (default 5)         --seed S            first seed (default 0)
      --mode M                 reference (the authors' quirks, default) or corrected
      --epochs N               default 3 for K ≤ 32, 5 above
      --lr X (5e-5)  --batch-size N (16)  --dropout P (0.1)  --max-length N (512)
      --template T ("[MASK]: <text>")  --real-word W (news)  --fake-word W (rumor)
      --score-batch N          prompts per scoring batch (default 8)
      --steps N (2)  --percentile Q (95)   alignment settings
    """

    static func run(_ args: inout Arguments) throws {
        let model = ModelDirectory.resolve(try args.required("model"))
        let trainPath = try args.required("train"), testPath = try args.required("test")
        let graphPath = try args.option("graph")
        let runs: Int = try args.option("runs", default: 5)
        let seed: Int = try args.option("seed", default: 0)
        let modeName: String = try args.option("mode", default: "reference")
        guard let mode = PromptMode(rawValue: modeName) else { throw ArgumentError.badValue("mode", modeName) }
        let epochs = try args.option("epochs").map { s -> Int in
            guard let n = Int(s), n > 0 else { throw ArgumentError.badValue("epochs", s) }
            return n
        }
        let settings = FineTuneSettings(mode: mode, learningRate: try args.option("lr", default: Float(5e-5)),
                                        batchSize: try args.option("batch-size", default: 16), epochs: epochs,
                                        dropout: try args.option("dropout", default: Float(0.1)), seed: UInt64(max(0, seed)))
        let format = PromptFormat(template: try args.option("template", default: "[MASK]: <text>"),
                                  labelWords: [try args.option("real-word", default: "news"), try args.option("fake-word", default: "rumor")],
                                  maxLength: try args.option("max-length", default: 512))
        let alignment = AlignmentParameters(steps: try args.option("steps", default: 2), percentile: try args.option("percentile", default: 95.0))
        let scoreBatch: Int = try args.option("score-batch", default: 8)
        let outDir = URL(fileURLWithPath: try args.required("output-dir"))
        try args.finish()

        let train = try NewsReader.readSplit(trainPath), test = try NewsReader.readSplit(testPath)
        let graph = try graphPath.map { try NewsGraph.readEdgeList(URL(fileURLWithPath: $0)).adjacency }
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let experiment = FewShotExperiment(model: model, format: format, settings: settings, alignment: alignment,
                                           scoreBatchSize: scoreBatch, workDirectory: outDir.appendingPathComponent("work"))
        var done: [FewShotRun] = []
        var missing: [Int] = []
        for r in 0..<runs {
            let url = outDir.appendingPathComponent("run-\(r).json")
            if let run = try? JSONDecoding.decode(FewShotRun.self, path: url.path) {
                done.append(run)
            } else {
                missing.append(r)
            }
        }
        if !done.isEmpty { print("resuming: \(done.count) finished run(s) found in \(outDir.path)") }
        let stamp = { () -> String in
            let f = DateFormatter(); f.dateFormat = "HH:mm:ss"; f.timeZone = TimeZone(identifier: "UTC"); return f.string(from: Date())
        }
        for r in missing {
            let more = try experiment.run(train: train, test: test, graph: graph, runs: 1, firstRun: r,
                                          log: { print("[\(stamp())] \($0)"); fflush(stdout) }) { run in
                try PromptPredictions.write(run.probabilities.map { SIMD2($0[0], $0[1]) },
                                            to: outDir.appendingPathComponent("run-\(run.run).pred.csv").path)
                try writeFileAtomically(Data(try JSONEncoding.bytes(run, pretty: true)), to: outDir.appendingPathComponent("run-\(run.run).json"))
            }
            done += more
        }
        done.sort { $0.run < $1.run }
        try? FileManager.default.removeItem(at: outDir.appendingPathComponent("work"))

        var labelOnly: ClassificationMetrics?
        if let graph {
            let result = try Alignment.propagate(graph: graph, trainLabels: train.map { $0.label! }, testCount: test.count,
                                                 testProbabilities: nil, parameters: alignment)
            labelOnly = try ClassificationMetrics(truth: test.map { $0.label! }, predicted: result.testPredictions)
        }
        let summary = try FewShotSummary(runs: done, labelOnly: labelOnly, trainCount: train.count, mode: mode, model: model.path)
        try writeFileAtomically(Data(try JSONEncoding.bytes(summary, pretty: true)), to: outDir.appendingPathComponent("summary.json"))
        let table = summary.table()
        try writeFileAtomically(Data(table.utf8), to: outDir.appendingPathComponent("summary.txt"))
        print(table)
    }

    static func writeFileAtomically(_ data: Data, to url: URL) throws {
        try AtomicFileWriter.write([UInt8](data), to: url.path)
    }
}
