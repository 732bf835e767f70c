import DataIO
import Foundation
import Plots
import Formats
import PipelineEngine

/// The Prompt-and-Align pipeline stages: thin wrappers over `NewsReader`, `NewsGraph`, `PromptFineTuner`,
/// `PromptScorer`, `Alignment` and `MetricSummary`.
public enum PromptAlignStages {
    public static let all: [StageType] = [NewsReadStage(), NewsGraphStage(), PromptFineTuneStage(), PromptScoreStage(),
                                          AlignPropagateStage(), EvalMetricsStage(), EvalSweepStage(),
                                          MLMAdaptStage()]

    /// `news.graph`'s schema, for `trellis news-graph`.
    public static var newsGraphStage: StageType { NewsGraphStage() }
    /// The graph `news.graph` produces for these parameters (the same for `trellis news-graph`).
    public static func newsGraph(_ p: TypedParameters) throws -> NewsGraph { try NewsGraphStage.graph(p) }
    /// `prompt.finetune`'s and `prompt.score`'s schemas, for `trellis prompt-align`.
    public static var fineTuneStage: StageType { PromptFineTuneStage() }
    public static var promptScoreStage: StageType { PromptScoreStage() }
    /// The prompt wording, mode and training settings of `prompt.finetune`'s parameters.
    public static func promptFormat(_ p: TypedParameters) -> PromptFormat { PromptStageParameters.format(p) }
    public static func fineTuneSettings(_ p: TypedParameters) -> FineTuneSettings { PromptStageParameters.settings(p) }
    /// `mlm.adapt`'s schema and training options, for `trellis mlm-adapt`.
    public static var mlmAdaptStage: StageType { MLMAdaptStage() }
    public static func mlmAdaptOptions(_ p: TypedParameters) -> MLMAdaptOptions { MLMAdaptStage.options(p) }
    /// `align.propagate`'s schema, for `trellis align`.
    public static var alignStage: StageType { AlignPropagateStage() }
    /// The alignment `align.propagate` computes for these parameters and one predictions file (nil: label-only).
    public static func align(_ p: TypedParameters, predictions: String?) throws -> AlignmentReport {
        try AlignPropagateStage.reports(p, sources: [predictions])[0]
    }

    /// Registers every stage of this module.
    public static func register(in registry: StageRegistry) {
        for t in all { registry.register(t) }
    }
}

/// `news.read`: articles from a split CSV, a raw article CSV, JSONL or an RSS/Atom feed, as JSONL.
struct NewsReadStage: StageType {
    let name = "news.read"
    let version = 1
    let summary = "read news articles (split/raw CSV, JSONL, RSS/Atom) into JSONL: id, label, title, text"
    let parameters: [ParameterSpec] = [
        ParameterSpec("input", .path, required: true, doc: "the article file (.csv, .jsonl, .xml/.rss/.atom; .gz/.zst accepted)"),
        ParameterSpec("format", .choice(["auto"] + NewsFormat.allCases.map(\.rawValue)), default: .string("auto"),
                      doc: "split (label,text, no header), raw (news_id,label,title,content), jsonl or feed; auto guesses"),
        .output(writing: "the articles as JSONL"),
    ]
    let outputs = [OutputSpec("articles", doc: "JSONL, one article per line: id, label, title, text, line"),
                   OutputSpec("count", doc: "number of articles"), OutputSpec("labelled", doc: "number with a label")]

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let format = p.string("format").flatMap { NewsFormat(rawValue: $0) }
        let articles = try NewsReader.read(p.url("input")!.path, format: format)
        let url = context.destination("articles", internalFile: "articles.jsonl")
        let writer = try JSONLWriter(path: url.path)
        do {
            for a in articles {
                var object: [String: Any] = ["text": a.text, "line": a.line]
                if let id = a.id { object["id"] = id }
                if let label = a.label { object["label"] = label }
                if let title = a.title { object["title"] = title }
                try writer.write(object)
            }
            try writer.finish()
        } catch { writer.cancel(); throw error }
        context.output("count", text: String(articles.count))
        context.output("labelled", text: String(articles.filter { $0.label != nil }.count))
        context.log("read \(articles.count) articles")
    }
}

/// `news.graph`: the P&A news proximity graph, built from engagement records or read from an edge list.
struct NewsGraphStage: StageType {
    let name = "news.graph"
    let version = 1
    let summary = "build the P&A news graph A_T = D^-1/2 BᵀB D^-1/2 from engagements (or read an edge list)"
    let parameters: [ParameterSpec] = [
        ParameterSpec("articles", .path, doc: "raw article CSV (news_id,…): the nodes, in file order"),
        ParameterSpec("engagements", .path, doc: "engagement CSV with sid and uid columns"),
        ParameterSpec("min_user_records", .int, default: .int(5), doc: "records a user needs to be active (t_u)"),
        ParameterSpec("edge_list", .path, doc: "a prebuilt row<TAB>col<TAB>weight graph instead of articles + engagements"),
        ParameterSpec("nodes", .int, doc: "with edge_list: the node count (default: largest index + 1)"),
        .output(writing: "the graph TSV"),
        ParameterSpec("statistics", .outputPath, doc: "where to write the statistics JSON (default: inside the work directory)"),
    ]
    let outputs = [OutputSpec("graph", doc: "row<TAB>col<TAB>weight edge list"),
                   OutputSpec("statistics", doc: "nodes, edges, isolated nodes, active and dummy users (JSON)")]

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        let built = p.string("articles") != nil || p.string("engagements") != nil
        if built && p.string("edge_list") != nil { return [("edge_list", "give either edge_list or articles + engagements")] }
        if !built && p.string("edge_list") == nil { return [("articles", "give articles + engagements, or edge_list")] }
        if built && (p.string("articles") == nil || p.string("engagements") == nil) {
            return [(p.string("articles") == nil ? "articles" : "engagements", "articles and engagements go together")]
        }
        if let t = p.int("min_user_records"), t < 1 { return [("min_user_records", "must be at least 1")] }
        if let n = p.int("nodes"), n < 1 { return [("nodes", "must be at least 1")] }
        return []
    }

    /// The graph these (validated) parameters describe: read from `edge_list`, or built from `articles` +
    /// `engagements`. `trellis news-graph` calls it too.
    static func graph(_ p: TypedParameters) throws -> NewsGraph {
        if let list = p.url("edge_list") {
            return try NewsGraph.readEdgeList(list, nodeCount: p.int("nodes"))
        }
        guard let articles = p.url("articles"), let engagements = p.url("engagements") else {
            throw StageError("give articles + engagements, or edge_list")
        }
        let ids = try NewsReader.readArticleIds(articles.path)
        let records = try EngagementRecords.read(engagements.path)
        return try NewsGraph.build(articles: ids, records: records, minUserRecords: p.int("min_user_records") ?? 5)
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let graph = try Self.graph(p)
        try graph.writeEdgeList(to: context.destination("graph", internalFile: "graph.tsv"))
        try graph.writeStatistics(to: context.destination("statistics", parameter: "statistics", internalFile: "graph.stats.json"))
        let s = graph.statistics
        context.log("\(s.nodes) nodes, \(s.edges) edges, \(s.isolatedNodes) isolated"
                    + (s.construction.map { ", \($0.activeUsers) active users, \($0.dummyUsers) dummy users" } ?? ""))
    }
}

/// `align.propagate`: confidence-informed alignment over the graph; `prompt: none` is label-only.
struct AlignPropagateStage: StageType {
    let name = "align.propagate"
    let version = 2
    let summary = "P&A alignment: harden confident prompt predictions, propagate with labels over the graph"
    let parameters: [ParameterSpec] = [
        ParameterSpec("graph", .path, required: true, doc: "the news graph (row<TAB>col<TAB>weight)"),
        ParameterSpec("train", .path, required: true, doc: "train split CSV (label,text): graph nodes 0..K-1"),
        ParameterSpec("test", .path, required: true, doc: "test split CSV (label,text): the following nodes"),
        ParameterSpec("prompt", .choice(["predictions", "none"]), default: .string("predictions"),
                      doc: "none: label-only baseline (test rows of Y are 0); predictions: use 'predictions'"),
        ParameterSpec("predictions", .list(.path), doc: "CSV(s) with p_real,p_fake per test article (see trellis align --help); one result each"),
        ParameterSpec("calibrate", .choice(["none", "content_free", "articles"]), default: .string("none"),
                      doc: "divide the prompt probabilities by a prior from 'prior' (row 0 content-free, row 1 prior_articles): "
                      + "contextual calibration, NOT in the authors' method"),
        ParameterSpec("prior", .list(.path), doc: "prompt.score's prior CSV(s), one per predictions file; read unless calibrate: none"),
        ParameterSpec("steps", .int, default: .int(2), doc: "propagation steps"),
        ParameterSpec("percentile", .float, default: .float(95), doc: "hardening percentile of the margins (0–100)"),
        .output(writing: "the result JSON"),
    ]
    let outputs = [OutputSpec("result", doc: "JSON: accuracy, macro_f1, metrics, per-article predictions (one per predictions file)"),
                   OutputSpec("accuracy", doc: "test accuracy (mean over predictions files)"),
                   OutputSpec("macro_f1", doc: "test macro-F1 (mean over predictions files)")]

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        var out: [(String, String)] = []
        if p.string("prompt") == "predictions" && p.string("predictions") == nil {
            out.append(("predictions", "required unless prompt: none"))
        }
        if let s = p.int("steps"), s < 0 { out.append(("steps", "must be ≥ 0")) }
        if (p.string("calibrate") ?? "none") != "none" && p.strings("prior").count != p.strings("predictions").count {
            out.append(("prior", "one prior file per predictions file when calibrating"))
        }
        if p.strings("predictions").count > 1 && p.string("output") != nil {
            out.append(("output", "only with a single predictions file; several write one result each inside the work directory"))
        }
        if let q = p.double("percentile"), !(0...100).contains(q) { out.append(("percentile", "must be in 0...100")) }
        return out
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let sources: [String?] = p.string("prompt") != "none" ? p.strings("predictions") : [nil]
        let destinations: [URL]
        if sources.count == 1 {
            destinations = [context.destination("result", internalFile: "alignment.json")]
        } else {
            // Several runs: a list output inside the work directory (`output` names a single file).
            destinations = context.output("result", files: sources.indices.map { "alignment-\($0).json" })
        }
        var accuracies: [Double] = [], f1s: [Double] = []
        for (i, report) in try Self.reports(p, sources: sources).enumerated() {
            try report.write(to: destinations[i])
            if let a = report.accuracy, let f = report.macroF1 { accuracies.append(a); f1s.append(f) }
            if let m = report.metrics { context.log((sources.count > 1 ? "predictions \(i)\n" : "") + m.table()) }
        }
        let mean = { (v: [Double]) in v.count == sources.count && !v.isEmpty ? "\(v.reduce(0, +) / Double(v.count))" : "" }
        context.output("accuracy", text: mean(accuracies))
        context.output("macro_f1", text: mean(f1s))
    }

    /// One alignment per predictions file of `sources` (nil: label-only) over the graph and splits of these
    /// (validated) parameters; `trellis align` runs the same.
    static func reports(_ p: TypedParameters, sources: [String?]) throws -> [AlignmentReport] {
        let train = try NewsReader.readSplit(p.resolve(p.string("train") ?? "").path)
        let test = try NewsReader.readSplit(p.resolve(p.string("test") ?? "").path)
        // The node count comes from the file (P&A graphs hold every node's self-loop), so a graph made for
        // another split is caught by the size check rather than padded.
        let graph = try NewsGraph.readEdgeList(p.resolve(p.string("graph") ?? ""))
        let trainLabels = try train.enumerated().map { i, a -> Int in
            guard let l = a.label else { throw PromptAlignError.mismatch(what: "train article \(i + 1)", expected: "a label", found: "none") }
            return l
        }
        let parameters = AlignmentParameters(steps: p.int("steps") ?? 2, percentile: p.double("percentile") ?? 95)
        return try sources.enumerated().map { i, source in
            var predictions = try source.map { try PromptPredictions.read(p.resolve($0).path, expectedCount: test.count) }
            if let raw = predictions, let calibrate = p.string("calibrate"), calibrate != "none" {
                let priorPath = p.resolve(p.strings("prior")[i]).path
                let rows = try PromptPredictions.read(priorPath), row = calibrate == "articles" ? 1 : 0
                guard row < rows.count else {
                    throw PromptAlignError.mismatch(what: priorPath, expected: "a row \(row) (prompt.score with prior_articles)",
                                                    found: "\(rows.count) row(s)")
                }
                predictions = try ContentFreeCalibration.apply(raw, prior: rows[row], source: priorPath)
            }
            let result = try Alignment.propagate(graph: graph.adjacency, trainLabels: trainLabels, testCount: test.count,
                                                 testProbabilities: predictions, parameters: parameters)
            return try AlignmentReport(result: result, parameters: parameters, trainCount: train.count,
                                       testLabels: test.map(\.label), prompted: source != nil)
        }
    }
}

/// `eval.metrics`: metrics of one or more alignment results (runs), with mean and std, as JSON and a table.
struct EvalMetricsStage: StageType {
    let name = "eval.metrics"
    let version = 3
    let summary = "accuracy, macro P/R/F1, per-class figures, mean ± std over runs (JSON + table)"
    let parameters: [ParameterSpec] = [
        ParameterSpec("results", .list(.path), required: true, doc: "result JSONs of align.propagate (one per run)"),
        .output(writing: "the summary JSON"),
        ParameterSpec("table", .outputPath, doc: "where to write the readable table (default: inside the work directory)"),
        ParameterSpec("plot", .outputPath, doc: "where to write the confusion-matrix SVG, summed over runs (default: inside the work directory)"),
    ]
    let outputs = [OutputSpec("metrics", doc: "summary JSON (per run and mean/std, and train_count K when the runs share it)"),
                   OutputSpec("table", doc: "readable table"),
                   OutputSpec("plot", doc: "confusion matrix over all runs (SVG)"),
                   OutputSpec("accuracy", doc: "mean accuracy"), OutputSpec("macro_f1", doc: "mean macro-F1")]

    func run(_ context: StageContext) throws {
        let p = context.parameters
        var runs: [ClassificationMetrics] = []
        var trainCounts = Set<Int>()
        for path in p.strings("results") {
            let url = p.resolve(path)
            let report = try JSONDecoding.decode(AlignmentReport.self, path: url.path)
            let truth = report.articles.compactMap(\.label)
            guard truth.count == report.articles.count else {
                throw PromptAlignError.mismatch(what: url.path, expected: "a label for every article", found: "unlabelled articles")
            }
            runs.append(try ClassificationMetrics(truth: truth, predicted: report.articles.map(\.predicted)))
            trainCounts.insert(report.trainCount)
        }
        var summary = try MetricSummary(runs)
        // K goes with the figures so a sweep over K can be read back from these files alone.
        summary.trainCount = trainCounts.count == 1 ? trainCounts.first : nil
        try writeAtomically(try summary.jsonData(), to: context.destination("metrics", internalFile: "metrics.json"))
        var table = summary.table() + "\n"
        for (i, run) in runs.enumerated() { table += "\nrun \(i + 1)\n" + run.table() + "\n" }
        try writeAtomically(Data(table.utf8), to: context.destination("table", parameter: "table", internalFile: "metrics.txt"))
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: 2), count: 2)
        for run in runs {
            for (a, la) in run.labels.enumerated() where (0...1).contains(la) {
                for (b, lb) in run.labels.enumerated() where (0...1).contains(lb) { confusion[la][lb] += run.confusion[a][b] }
            }
        }
        let title = String(format: "confusion, %d run(s): accuracy %.2f ± %.2f", runs.count, 100 * summary.accuracy.mean, 100 * summary.accuracy.std)
        try writeAtomically(Data(ConfusionMatrixPlot(counts: confusion, title: title).render().svg.utf8),
                            to: context.destination("plot", parameter: "plot", internalFile: "confusion.svg"))
        context.output("accuracy", text: "\(summary.accuracy.mean)")
        context.output("macro_f1", text: "\(summary.macroF1.mean)")
        context.log(summary.table())
    }
}
