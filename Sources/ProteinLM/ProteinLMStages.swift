import Foundation
import PipelineEngine
import Tensors
import Transformers

/// The protein pipeline stages: `protein.embed`, `protein.score`, `protein.generate`.
public enum ProteinLMStages {
    public static let all: [StageType] = [ProteinEmbedStage(), ProteinScoreStage(), ProteinGenerateStage()]

    /// `protein.embed`'s schema, for `trellis embed` (one definition of every option, its default and doc).
    public static var embedStage: StageType { ProteinEmbedStage() }

    /// The embedding options `protein.embed` runs with for these parameters (the same for `trellis embed`).
    public static func embedOptions(_ p: TypedParameters) -> EmbedOptions { ProteinEmbedStage.options(p) }

    /// `protein.score`'s schema, for `trellis score`.
    public static var scoreStage: StageType { ProteinScoreStage() }
    /// `protein.generate`'s schema, for `trellis generate`.
    public static var generateStage: StageType { ProteinGenerateStage() }
    /// The sampling options `protein.generate` runs with for these parameters (the same for `trellis generate`).
    public static func generateOptions(_ p: TypedParameters) -> GenerateOptions { ProteinGenerateStage.options(p) }

    /// Registers every stage of this module.
    public static func register(in registry: StageRegistry) {
        for t in all { registry.register(t) }
    }

    static let invalidParameter = ParameterSpec("invalid", .choice(ResiduePolicy.Invalid.allCases.map(\.rawValue)), default: .string("error"),
        doc: "characters other than amino-acid letters (after upper-casing and stripping a trailing '*'): error, x (map to X), remove")
    /// `model` of the stages that run either architecture (embed, score).
    static let modelParameter = ParameterSpec("model", .model, required: true, doc: "ESM-2 or xTrimoPGLM model directory")
    /// `weights`, shared with `trellis forward`.
    public static let weightsParameter = ParameterSpec("weights", .choice(["f32", "bf16"]), default: .string("f32"),
        doc: "weight storage in memory (computation is F32 either way)")

    /// The residue policy named by the `invalid` parameter.
    public static func policy(_ p: TypedParameters) -> ResiduePolicy {
        ResiduePolicy(invalid: ResiduePolicy.Invalid(rawValue: p.string("invalid") ?? "error") ?? .error)
    }

    static func loadModel(_ p: TypedParameters) throws -> ProteinModel {
        try Profiler.time(.modelLoad) {
            try ProteinModel.load(p.url("model")!, storage: WeightStorage(rawValue: p.string("weights") ?? "f32") ?? .f32)
        }
    }
}

/// `protein.embed`: fair-esm extract.py features of every FASTA record into one `.safetensors`.
struct ProteinEmbedStage: StageType {
    let name = "protein.embed"
    // 2: labels percent-encoded in tensor names, stacked means (cached version-1 outputs are not reused).
    let version = 2
    let summary = "embed a FASTA file (extract.py features: mean, per_token, bos, contacts) into one .safetensors"
    let parameters: [ParameterSpec] = [
        ParameterSpec("fasta", .path, required: true, doc: "input FASTA (.gz/.zst accepted)"),
        ProteinLMStages.modelParameter,
        ParameterSpec("layers", .list(.int), default: .list([.int(-1)]), doc: "layers to keep: 0 = embeddings, -1 = last"),
        ParameterSpec("include", .list(.choice(EmbedFeature.allCases.map(\.rawValue) + ["per_tok"])), default: .list([.string("mean")]),
                      doc: "features: mean, per_token, bos, contacts"),
        ParameterSpec("truncation", .int, default: .int(1022), doc: "residues kept per sequence (extract.py truncation_seq_length)"),
        .tokensPerBatch("token budget of a batch (extract.py toks_per_batch)"),
        ParameterSpec("per_sequence", .string, doc: "also write <dir>/<label>.safetensors per sequence (label percent-encoded: % -> %25, / -> %2F), written in place as each is done"),
        ParameterSpec("resume", .bool, default: .bool(false), doc: "keep finished parts in <output>.parts/ and skip them after an interrupted run (needs output)"),
        ProteinLMStages.invalidParameter,
        ProteinLMStages.weightsParameter,
        ProteinLMStages.profileParameter,
        .output(writing: "the .safetensors"),
    ]
    let outputs = [OutputSpec("embeddings", doc: ".safetensors: <key>/<feature>/<layer> tensors (key = label with % and / percent-encoded), stacked mean_representations/<layer> [N, H] in label order, index in __metadata__"),
                   OutputSpec("count", doc: "sequences embedded"), ProteinLMStages.profileOutput]

    func declaredOutputs(_ p: TypedParameters) -> [String] { ProteinLMStages.outputs(outputs, p) }

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        var out: [(String, String)] = []
        if let t = p.int("truncation"), t < 1 { out.append(("truncation", "must be at least 1")) }
        if let t = p.int("tokens_per_batch"), t < 1 { out.append(("tokens_per_batch", "must be at least 1")) }
        if p.strings("include").isEmpty { out.append(("include", "give at least one feature")) }
        if p.bool("resume") == true && p.string("output") == nil {
            out.append(("resume", "needs 'output': a failed attempt's work directory is discarded, so parts are kept beside the declared output"))
        }
        if let d = p.string("per_sequence"), d.isEmpty { out.append(("per_sequence", "give a directory")) }
        return out
    }

    static func options(_ p: TypedParameters) -> EmbedOptions {
        var o = EmbedOptions()
        o.layers = p.strings("layers").compactMap { Int($0) }
        o.include = p.strings("include").compactMap { EmbedFeature(word: $0) }
        o.truncation = p.int("truncation") ?? 1022
        o.tokensPerBatch = p.int("tokens_per_batch") ?? ParameterSpec.defaultTokensPerBatch
        o.policy = ProteinLMStages.policy(p)
        o.perSequenceDirectory = p.url("per_sequence")
        o.resume = p.bool("resume") ?? false
        return o
    }

    func run(_ context: StageContext) throws {
        try ProteinLMStages.profiled(context) { try embed(context) }
    }

    func embed(_ context: StageContext) throws {
        let p = context.parameters
        let model = try ProteinLMStages.loadModel(p)
        let options = Self.options(p)
        let embedder = try Embedder(model: model, options: options)
        let url = context.destination("embeddings", internalFile: "embeddings.safetensors")
        let run = EmbeddingRun(embedder: embedder, fasta: p.url("fasta")!.path, output: url)
        if options.resume, let declared = p.url("output") {
            // Parts outlive a failed attempt beside the declared output; one directory per stage (or shard).
            run.partsDirectory = declared.deletingLastPathComponent()
                .appendingPathComponent(declared.lastPathComponent + ".parts")
                .appendingPathComponent(EmbeddingIndex.key(context.stageID))
            run.resumeFromOutput = false
        }
        run.log = { context.log($0) }
        // The total is worth one extra read of the FASTA headers: a proteome is read in well under a second.
        let total = try? RecordSplitter.count(p.url("fasta")!, format: .fasta)
        run.progress = { done, _ in context.progress(done: done, total: total, unit: "sequences") }
        let s = try run.run()
        context.output("count", text: String(s.sequences))
        context.log("embedded \(s.sequences) sequences (\(s.residues) residues, \(s.truncated) truncated, \(s.empty.count) empty skipped)")
    }
}

/// `protein.score`: PLL / CLM likelihood per sequence, or variant scores from a mutation CSV.
struct ProteinScoreStage: StageType {
    let name = "protein.score"
    let version = 1
    let summary = "score sequences (PLL, CLM perplexity) or ProteinGym-style variants (masked/wt marginals) to CSV"
    let parameters: [ParameterSpec] = [
        ParameterSpec("fasta", .path, required: true, doc: "sequences to score, or the one wild type of a mutation CSV"),
        ProteinLMStages.modelParameter,
        ParameterSpec("mutations", .path, doc: "CSV with 'mutant' (A23G or A23G:C45T, 1-based) or 'mutated_sequence'; optional DMS_score"),
        ParameterSpec("method", .choice(["auto"] + ScoreMethod.allCases.map(\.rawValue)), default: .string("auto"),
                      doc: "auto: clm for causal xTrimoPGLM, else masked-marginals (variants) or pll (sequences)"),
        .tokensPerBatch("token budget of a forward pass"),
        ProteinLMStages.invalidParameter,
        ProteinLMStages.weightsParameter,
        ProteinLMStages.profileParameter,
        .output(writing: "the scores CSV"),
    ]
    let outputs = [OutputSpec("scores", doc: "CSV of scores"), OutputSpec("count", doc: "rows scored"),
                   OutputSpec("spearman", doc: "Spearman ρ against DMS_score (empty when absent)"),
                   ProteinLMStages.profileOutput]

    func declaredOutputs(_ p: TypedParameters) -> [String] { ProteinLMStages.outputs(outputs, p) }

    func run(_ context: StageContext) throws {
        try ProteinLMStages.profiled(context) { try score(context) }
    }

    func score(_ context: StageContext) throws {
        let p = context.parameters
        let model = try ProteinLMStages.loadModel(p)
        let variants = p.string("mutations") != nil
        let m = p.string("method") ?? "auto"
        let method = m == "auto" ? ScoreRun.defaultMethod(model: model, variants: variants) : ScoreMethod(rawValue: m)!
        let url = context.destination("scores", internalFile: "scores.csv")
        let budget = p.int("tokens_per_batch") ?? ParameterSpec.defaultTokensPerBatch
        let report: ScoreReport
        if variants {
            report = try ScoreRun.scoreVariants(model: model, fasta: p.url("fasta")!.path, mutations: p.url("mutations")!.path,
                                                policy: ProteinLMStages.policy(p), method: method, output: url,
                                                tokensPerBatch: budget, progress: { context.progress(done: $0, total: nil, unit: "rows") })
        } else {
            let total = try? RecordSplitter.count(p.url("fasta")!, format: .fasta)
            report = try ScoreRun.scoreSequences(model: model, fasta: p.url("fasta")!.path, policy: ProteinLMStages.policy(p),
                                                 method: method, output: url, tokensPerBatch: budget,
                                                 progress: { context.progress(done: $0, total: total, unit: "sequences") })
        }
        context.output("count", text: String(report.rows))
        context.output("spearman", text: report.spearman.map { "\($0)" } ?? "")
        context.log("scored \(report.rows) rows with \(method.rawValue)"
                    + (report.spearman.map { String(format: "; Spearman ρ = %.4f over %d rows", $0, report.spearmanPairs) } ?? ""))
    }
}

/// `protein.generate`: sample proteins from an xTrimoPGLM model into FASTA.
struct ProteinGenerateStage: StageType {
    let name = "protein.generate"
    let version = 1
    let summary = "sample proteins from an xTrimoPGLM model (CLM prompts or GLM context) into FASTA"
    let parameters: [ParameterSpec] = [
        ParameterSpec("model", .model, required: true, doc: "xTrimoPGLM model directory"),
        ParameterSpec("prompts", .list(.string), default: .list([.string("")]), doc: "residue prompts ('' = from the prefix alone)"),
        ParameterSpec("mode", .choice(["clm", "glm"]), default: .string("clm"), doc: "clm: <gmask><sop><eos> + prompt; glm: context + <gmask><sop> + prompt"),
        ParameterSpec("context", .string, default: .string(""), doc: "glm mode: residues before <gmask>"),
        ParameterSpec("n", .int, default: .int(1), doc: "samples per prompt"),
        ParameterSpec("temperature", .float, default: .float(0.9), doc: "softmax temperature (0 = greedy)"),
        ParameterSpec("greedy", .bool, default: .bool(false), doc: "argmax at every step (transformers do_sample=False); ignores temperature, top_k, top_p, seed"),
        ParameterSpec("top_k", .int, default: .int(0), doc: "keep the k most likely ids (0 = off)"),
        ParameterSpec("top_p", .float, default: .float(0.8), doc: "nucleus sampling mass (1 = off)"),
        ParameterSpec("repetition_penalty", .float, default: .float(1.0), doc: "HF repetition penalty (1 = off)"),
        ParameterSpec("max_length", .int, doc: "residues per protein at most, prompt included (default: 256, or what the model's positions hold when fewer)"),
        ParameterSpec("seed", .int, default: .int(0), doc: "random seed (same seed, same proteins)"),
        ProteinLMStages.weightsParameter,
        .output(writing: "the FASTA"),
    ]
    let outputs = [OutputSpec("proteins", doc: "FASTA; headers record prompt and parameters"), OutputSpec("count", doc: "proteins written")]

    static func options(_ p: TypedParameters) -> GenerateOptions {
        var o = GenerateOptions()
        o.prompts = p.strings("prompts")
        if o.prompts.isEmpty { o.prompts = [""] }
        o.mode = AttentionMode(rawValue: p.string("mode") ?? "clm") ?? .clm
        o.context = p.string("context") ?? ""
        o.samples = p.int("n") ?? 1
        o.temperature = Float(p.double("temperature") ?? 0.9)
        o.greedy = p.bool("greedy") ?? false
        o.topK = p.int("top_k") ?? 0
        o.topP = Float(p.double("top_p") ?? 0.8)
        o.repetitionPenalty = Float(p.double("repetition_penalty") ?? 1)
        o.maxLength = p.int("max_length")
        o.seed = UInt64(truncatingIfNeeded: p.int("seed") ?? 0)
        return o
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let model = try ProteinLMStages.loadModel(p)
        let options = Self.options(p)
        let total = ProteinGenerator.count(options)
        let count = try ProteinGenerator.generate(model: model, options: options,
                                                  to: context.destination("proteins", internalFile: "proteins.faa"),
                                                  progress: { context.progress(done: $0, total: total, unit: "proteins") })
        context.output("count", text: String(count))
        context.log("generated \(count) proteins")
    }
}
