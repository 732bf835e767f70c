import Foundation
import PipelineEngine
import ProteinLM
import Tensors
import Transformers
import CLISupport

/// `trellis score`: sequence likelihoods or variant effects.
enum ScoreCommand: Command {
    static let name = "score"
    static let summary = "score sequences (PLL, CLM perplexity) or mutations (masked / wild-type marginals) to CSV"
    static let usage = """
    USAGE: trellis score MODEL FASTA [--mutations CSV] [--method M] --output SCORES.csv   (--output - : stdout)

    Without --mutations: one row per FASTA record, label,length,pll,pseudo_perplexity (masked LMs) or
    label,length,log_likelihood,perplexity (causal xTrimoPGLM, prefix <gmask><sop><eos>).
    With --mutations: FASTA holds the one wild type; CSV rows name variants by 'mutant' (A23G or
    A23G:C45T, 1-based, checked against the wild type) or 'mutated_sequence'. The output repeats the
    CSV's columns and adds 'score'; with a DMS_score column the Spearman ρ is printed.

    OPTIONS (the protein.score stage's parameters):
    \(schema.usage)

    EXAMPLES:
      trellis score models/pglm-tiny samples/proteins/example.faa --output -
      trellis score --model DIR wt.faa --mutations variants.csv --output scores.csv
    """

    /// The command's options: the `protein.score` stage's schema.
    static let schema = OptionSchema(stage: ProteinLMStages.scoreStage,
                                     extra: [OutputFile.parameter("the scores CSV"), ProfileOption.profileJSON],
                                     renames: ["toks-per-batch": "tokens_per_batch"], excluded: ["fasta", "model"])

    static func run(_ args: inout Arguments) throws {
        var values = try schema.read(&args)
        let (modelURL, pos) = try args.modelAndPositionals(["FASTA"])
        try args.finish()
        values["model"] = .string(modelURL.path)
        values["fasta"] = .string(pos[0])
        let p = try schema.typed(values)
        let profile = try ProfileOption(p)
        let outputText = p.string("output") ?? "-"
        let destination = try OutputFile(outputText, suffix: ".csv")
        defer { destination.discard() }
        let storage = WeightStorage(rawValue: p.string("weights") ?? "f32") ?? .f32
        let session = profile.start()
        let model = try Profiler.time(.io) { try ProteinModel.load(modelURL, storage: storage) }
        let mutations = p.url("mutations")?.path
        let chosen = ScoreMethod(rawValue: p.string("method") ?? "auto")
            ?? ScoreRun.defaultMethod(model: model, variants: mutations != nil)
        let budget = p.int("tokens_per_batch") ?? 4096
        let policy = ProteinLMStages.policy(p)
        let report: ScoreReport
        let meter = ProgressMeter(label: "score", unit: mutations == nil ? "sequences" : "variants",
                                  total: mutations == nil ? try? RecordSplitter.count(URL(fileURLWithPath: pos[0]), format: .fasta) : nil)
        if let mutations {
            report = try ScoreRun.scoreVariants(model: model, fasta: pos[0], mutations: mutations, policy: policy,
                                                method: chosen, output: destination.url, tokensPerBatch: budget,
                                                progress: { meter.report(done: $0) })
        } else {
            report = try ScoreRun.scoreSequences(model: model, fasta: pos[0], policy: policy, method: chosen,
                                                 output: destination.url, tokensPerBatch: budget, progress: { meter.report(done: $0) })
        }
        meter.finish()
        try destination.publish()
        print("scored \(report.rows) rows with \(chosen.rawValue) -> \(destination.display)", to: &standardError)
        if let rho = report.spearman {
            // On stderr when the CSV goes to stdout, so the CSV stays parseable.
            let line = String(format: "Spearman rho = %.4f (%d rows with DMS_score)", rho, report.spearmanPairs)
            if destination.toStdout { print(line, to: &standardError) } else { print(line) }
        }
        try profile.finish(session)
    }
}
