import Foundation
import ProteinLM
import Tensors
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

    OPTIONS:
      --method M            masked-marginals | wt-marginals | pll | clm (default: clm for causal
                            xTrimoPGLM; else masked-marginals with --mutations, pll without)
      --toks-per-batch N    token budget of a forward pass (default 4096)
      --invalid error|x|remove   non-amino-acid characters (default error)
      --weights f32|bf16    weight storage (default f32)
    \(ProfileOption.usage)

    EXAMPLES:
      trellis score models/pglm-tiny samples/proteins/example.faa --output -
      trellis score --model DIR wt.faa --mutations variants.csv --output scores.csv
    """

    static func run(_ args: inout Arguments) throws {
        let mutations = try args.option("mutations")
        let methodText = try args.choice("method", ScoreMethod.allCases.map { $0.rawValue })
        let outputText = try args.required("output")
        let budget = try args.option("toks-per-batch", default: 4096)
        let policy = try EmbedCommand.policy(&args)
        let storage = try EmbedCommand.weights(&args)
        let profile = try ProfileOption(&args)
        let (modelURL, pos) = try args.modelAndPositionals(["FASTA"])
        try args.finish()
        let method = methodText.flatMap(ScoreMethod.init(rawValue:))
        let destination = try OutputFile(outputText, suffix: ".csv")
        defer { destination.discard() }
        let output = destination.url
        let session = profile.start()
        let model = try Profiler.time(.io) { try ProteinModel.load(modelURL, storage: storage) }
        let chosen = method ?? ScoreRun.defaultMethod(model: model, variants: mutations != nil)
        let report: ScoreReport
        if let mutations {
            report = try ScoreRun.scoreVariants(model: model, fasta: pos[0], mutations: mutations, policy: policy,
                                                method: chosen, output: output, tokensPerBatch: budget)
        } else {
            report = try ScoreRun.scoreSequences(model: model, fasta: pos[0], policy: policy, method: chosen,
                                                 output: output, tokensPerBatch: budget)
        }
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
