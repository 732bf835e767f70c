import DataIO
import Formats
import Foundation
import PipelineEngine
import Transformers

/// `protein.perplexity`: per-residue perplexity of an xTrimoPGLM model on a FASTA file in MLM, CLM and GLM
/// modes, next to the uniform (20 amino acids) and training-unigram baselines on the same residues.
public struct PerplexityStage: StageType {
    public let name = "protein.perplexity"
    public let version = 1
    public let summary = "MLM/CLM/GLM per-residue perplexity of an xTrimoPGLM model next to uniform and unigram baselines"
    public let parameters: [ParameterSpec] = [
        ParameterSpec("model", .model, required: true, doc: "xTrimoPGLM model directory (an architecture protein.pretrain trains)"),
        ParameterSpec("fasta", .path, required: true, doc: "evaluation sequences (FASTA, .gz/.zst read; '*' dropped)"),
        ParameterSpec("unigram_fasta", .path, doc: "training sequences whose residue frequencies (add-one) give the unigram baseline"),
        ParameterSpec("context", .int, default: .int(256), doc: "longest input in tokens; sequences keep their first context − 3 residues"),
        .tokensPerBatch("padded tokens per evaluation batch"),
        .output(writing: "the TSV"),
    ]
    public let outputs = [OutputSpec("table", doc: "TSV: measure, perplexity, percent below the unigram baseline, residues"),
                          OutputSpec("clm", doc: "CLM perplexity"), OutputSpec("unigram", doc: "unigram perplexity")]

    public init() {}

    public static func register(in registry: StageRegistry) { registry.register(PerplexityStage()) }

    public func run(_ context: StageContext) throws {
        let p = context.parameters
        let context_ = p.int("context") ?? 256, budget = p.int("tokens_per_batch") ?? ParameterSpec.defaultTokensPerBatch
        guard context_ >= 4, context_ <= 1 << 20 else {
            throw ProteinLMError.badOption(name: "context", detail: "\(context_): expected 4 to 1048576 tokens")
        }
        guard budget >= context_ else {
            throw ProteinLMError.badOption(name: "tokens_per_batch", detail: "\(budget): must be at least context (\(context_))")
        }
        let model = try PGLMTrainingModel(directory: p.url("model")!)
        let eval = try Self.read(p.url("fasta")!)
        guard !eval.isEmpty else {
            throw ProteinLMError.badOption(name: "fasta", detail: "\(p.url("fasta")!.path): no sequences")
        }
        let train = try p.url("unigram_fasta").map(Self.read) ?? []
        let evaluator = PerplexityEvaluator(context: context_, tokensPerBatch: budget, rotary2D: model.config.rotaryEmbedding2d)
        let r = evaluator.evaluate(model, sequences: eval)
        let unigram = train.isEmpty ? nil : PretrainData(train: train, heldOut: eval).unigramPerplexity(context: context_)
        var rows = [("uniform20", 20.0, r.clmResidues)]
        if let unigram { rows.append(("unigram", unigram, r.clmResidues)) }
        rows += [("mlm", r.mlm, r.mlmResidues), ("clm", r.clm, r.clmResidues), ("glm", r.glm, r.glmResidues)]
        var tsv = "measure\tperplexity\tbelow_unigram_percent\tresidues\n"
        for (measure, ppl, n) in rows {
            let below = unigram.map { String(format: "%.1f", 100 * (1 - ppl / $0)) } ?? ""
            tsv += "\(measure)\t\(String(format: "%.3f", ppl))\t\(below)\t\(n)\n"
            context.log("\(measure): perplexity \(String(format: "%.3f", ppl))" + (below.isEmpty ? "" : " (\(below) % below unigram)"))
        }
        let url = context.destination("table", internalFile: "perplexity.tsv")
        try AtomicFile.write(Array(tsv.utf8), to: url.path)
        context.output("clm", text: String(format: "%.4f", r.clm))
        context.output("unigram", text: unigram.map { String(format: "%.4f", $0) } ?? "")
    }

    /// Residue ids of every record (empty records are skipped by the evaluator).
    static func read(_ url: URL) throws -> [[Int32]] {
        var out: [[Int32]] = []
        try FASTAReader(path: url.path).forEach { out.append(PretrainData.encode($0.sequence)) }
        return out
    }
}
