import Foundation
import PipelineEngine
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
           (MODEL may also be given as the first argument, as in the other model commands)

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

    OPTIONS (the prompt.finetune stage's parameters, prompt.score's test and batch size, align.propagate's):
    \(schema.usage)

    EXAMPLES:
      trellis prompt-align --model ../shared/models/all-MiniLM-L6-v2 --train train_16.csv --test test.csv \\
                           --graph out/graph.tsv --runs 2 --output-dir out/pa-16
    """

    /// The command's options, from the three stages it chains: `prompt.finetune` (model, train, runs, training
    /// and prompt settings), `prompt.score` (test; its batch size as `score_batch`) and `align.propagate`
    /// (graph, steps, percentile). Five runs by default, as the paper reports.
    static let schema: OptionSchema = {
        let tune = PromptAlignStages.fineTuneStage, score = PromptAlignStages.promptScoreStage, align = PromptAlignStages.alignStage
        var parameters = tune.parameters.map { p -> ParameterSpec in
            var p = p
            if p.name == "runs" { p.defaultValue = .int(5) }
            return p
        }
        for p in score.parameters where ["test", "batch_size"].contains(p.name) {
            var q = p
            if q.name == "batch_size" { q.name = "score_batch" }
            parameters.append(q)
        }
        for p in align.parameters where ["graph", "steps", "percentile"].contains(p.name) {
            var q = p
            if q.name == "graph" { q.required = false; q.doc += " (trellis news-graph or the authors' fang_graph_K.tsv); omit: no alignment" }
            parameters.append(q)
        }
        parameters.append(ParameterSpec("output_dir", .outputPath, required: true,
                                        doc: "directory of run-N.pred.csv, run-N.json, summary.json and summary.txt"))
        return OptionSchema(parameters, excluded: ["model"]) { p in
            var problems = tune.validate(p)
            if let b = p.int("score_batch"), b < 1 { problems.append(("score_batch", "must be at least 1")) }
            // Alignment settings are checked by align.propagate itself (label-only, so no predictions needed).
            let alignment = TypedParameters(["steps": p.int("steps").map { .int($0) } ?? .int(2),
                                             "percentile": p.double("percentile").map { .float($0) } ?? .float(95),
                                             "prompt": .string("none")], projectDirectory: p.projectDirectory)
            return problems + align.validate(alignment)
        }
    }()

    static func run(_ args: inout Arguments) throws {
        var values = try schema.read(&args)
        let (model, _) = try args.modelAndPositionals([])
        try args.finish()
        values["model"] = .string(model.path)
        let p = try schema.typed(values)
        let trainPath = p.string("train") ?? "", testPath = p.string("test") ?? ""
        let runs = p.int("runs") ?? 5
        let format = PromptAlignStages.promptFormat(p), settings = PromptAlignStages.fineTuneSettings(p)
        let mode = settings.mode
        let alignment = AlignmentParameters(steps: p.int("steps") ?? 2, percentile: p.double("percentile") ?? 95)
        let scoreBatch = p.int("score_batch") ?? 8
        let outDir = URL(fileURLWithPath: p.string("output_dir") ?? "")
        let graphPath = p.string("graph")

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
        // Plain lines, one per run: the runs' own log lines go to the same terminal.
        let meter = ProgressMeter(label: "prompt-align", unit: "runs", total: done.count + missing.count,
                                  style: ProgressStyle.automatic() == .quiet ? .quiet : .plain)
        meter.plainInterval = 0
        for r in missing {
            let more = try experiment.run(train: train, test: test, graph: graph, runs: 1, firstRun: r,
                                          log: { print("[\(stamp())] \($0)"); fflush(stdout) }) { run in
                try PromptPredictions.write(run.probabilities.map { SIMD2($0[0], $0[1]) },
                                            to: outDir.appendingPathComponent("run-\(run.run).pred.csv").path)
                try writeFileAtomically(Data(try JSONEncoding.bytes(run, pretty: true)), to: outDir.appendingPathComponent("run-\(run.run).json"))
            }
            done += more
            meter.report(done: done.count)
        }
        done.sort { $0.run < $1.run }
        try? FileManager.default.removeItem(at: outDir.appendingPathComponent("work"))

        // The label-only baseline is align.propagate's with prompt: none.
        let labelOnly = graph == nil ? nil : try PromptAlignStages.align(p, predictions: nil).metrics
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
