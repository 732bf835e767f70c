import Foundation
import ProteinLM
import Tensors

/// `trellis score`: sequence likelihoods or variant effects.
enum ScoreCommand: Command {
    static let name = "score"
    static let summary = "score sequences (PLL, CLM perplexity) or mutations (masked / wild-type marginals) to CSV"
    static let usage = """
    USAGE: trellis score MODEL FASTA [--mutations CSV] [--method M] --output SCORES.csv

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
    """

    static func run(_ args: inout Arguments) throws {
        let mutations = try args.option("mutations")
        let methodText = try args.option("method")
        let output = URL(fileURLWithPath: try args.required("output"))
        removeStaleTemporaries(beside: output)
        let budget = try args.option("toks-per-batch", default: 4096)
        let policy = try EmbedCommand.policy(&args)
        let storage = try EmbedCommand.weights(&args)
        let profile = try ProfileOption(&args)
        let pos = args.positionals()
        try args.finish()
        guard pos.count == 2 else {
            print(usage, to: &standardError)
            throw ExitStatus(code: 2)
        }
        var method: ScoreMethod? = nil
        if let methodText {
            guard let m = ScoreMethod(rawValue: methodText) else { throw ArgumentError.badValue("--method", methodText) }
            method = m
        }
        let session = profile.start()
        let model = try Profiler.time(.io) { try ProteinModel.load(URL(fileURLWithPath: pos[0]), storage: storage) }
        let chosen = method ?? ScoreRun.defaultMethod(model: model, variants: mutations != nil)
        let report: ScoreReport
        if let mutations {
            report = try ScoreRun.scoreVariants(model: model, fasta: pos[1], mutations: mutations, policy: policy,
                                                method: chosen, output: output, tokensPerBatch: budget)
        } else {
            report = try ScoreRun.scoreSequences(model: model, fasta: pos[1], policy: policy, method: chosen,
                                                 output: output, tokensPerBatch: budget)
        }
        print("scored \(report.rows) rows with \(chosen.rawValue) -> \(output.path)", to: &standardError)
        if let rho = report.spearman {
            print(String(format: "Spearman rho = %.4f (%d rows with DMS_score)", rho, report.spearmanPairs))
        }
        try profile.finish(session)
    }
}
