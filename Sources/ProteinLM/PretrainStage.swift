import DataIO
import Foundation
import PipelineEngine
import Tensors
import Transformers

/// `protein.pretrain`: trains an xTrimoPGLM-architecture model on a FASTA file with the MLM and GLM objectives,
/// evaluating held-out MLM and CLM perplexity; writes a model directory, a JSONL log and an SVG plot.
public struct PretrainStage: StageType {
    public let name = "protein.pretrain"
    public let version = 3
    public let summary = "pretrain an xTrimoPGLM-style model (MLM + GLM) on FASTA; held-out MLM/CLM perplexity"
    /// Defaults of the training options shared with mlm.adapt.
    static let training = TrainingParameters(steps: 1000, warmup: 50, learningRate: 1e-3, dropout: 0,
                                             heldOutFraction: 0.1, evalEvery: 100)
    public let parameters: [ParameterSpec] = [
        ParameterSpec("fasta", .path, required: true, doc: "training sequences (FASTA; '*' stop symbols dropped)"),
        ParameterSpec("output", .string, required: true, doc: "model directory to write (config, weights, tokenizer, log, card data)"),
        ParameterSpec("tokenizer", .path, doc: "directory whose tokenizer files are copied into the model directory"),
        ParameterSpec("checkpoint", .string, doc: "checkpoint directory (saved at every evaluation; resumed from when present)"),
        ParameterSpec("init_from", .model, doc: "start from this model directory's weights (same architecture) instead of a random initialisation; ignored when resuming"),
        ParameterSpec("layers", .int, default: .int(4), doc: "transformer layers"),
        ParameterSpec("hidden", .int, default: .int(256), doc: "hidden size"),
        ParameterSpec("heads", .int, default: .int(4), doc: "attention heads"),
        ParameterSpec("ffn", .int, default: .int(512), doc: "GeGLU width (dense_h_to_4h has 2× this)"),
        ParameterSpec("context", .int, default: .int(256), doc: "longest input in tokens (longer proteins are cropped)"),
        ParameterSpec("norm", .choice(["deepnorm", "pre"]), default: .string("deepnorm"), doc: "layer layout: DeepNorm post-LN (α = √(2·layers)) or pre-LN (α = 1, residual from the layer input)"),
        ParameterSpec("rotary_2d", .bool, default: .bool(true), doc: "2-D RoPE (positions and block positions)"),
        ParameterSpec("accumulate", .int, default: .int(1), doc: "micro-batches per optimiser step"),
        ParameterSpec("tokens_per_batch", .int, default: .int(4096), doc: "padded tokens per micro-batch"),
        ParameterSpec("clip", .float, default: .float(1.0), doc: "global gradient-norm clip"),
        ParameterSpec("mlm_ratio", .float, default: .float(0.2), doc: "fraction of examples trained with MLM (the rest GLM)"),
        ParameterSpec("dtype", .choice(["f32", "bf16"]), default: .string("f32"), doc: "storage type of the saved weights"),
    ] + PretrainStage.training.specs(notes: ["dropout": "hidden dropout"])
    public let outputs = [OutputSpec("model", doc: "the model directory"), OutputSpec("log", doc: "training log (JSONL)"),
                          OutputSpec("curve", doc: "learning curve and held-out perplexities (SVG, shown in the run report)")]

    public init() {}

    public static func register(in registry: StageRegistry) { registry.register(PretrainStage()) }

    public func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        TrainingParameters.problems(p)
    }

    public func run(_ context: StageContext) throws {
        let p = context.parameters
        var o = PretrainOptions()
        o.layers = p.int("layers") ?? o.layers; o.hidden = p.int("hidden") ?? o.hidden
        o.heads = p.int("heads") ?? o.heads; o.ffn = p.int("ffn") ?? o.ffn; o.context = p.int("context") ?? o.context
        o.rotary2D = p.bool("rotary_2d") ?? true
        o.preLN = p.string("norm") == "pre"
        let t = Self.training.reading(p)
        o.steps = t.steps; o.warmup = t.warmup ?? o.warmup; o.lr = Float(t.learningRate ?? 1e-3)
        o.weightDecay = Float(t.weightDecay); o.dropout = Float(t.dropout)
        o.evalEvery = t.evalEvery; o.seed = t.seed; o.maxMinutes = t.maxMinutes
        o.accumulate = max(1, p.int("accumulate") ?? 1); o.tokensPerBatch = p.int("tokens_per_batch") ?? o.tokensPerBatch
        o.clip = p.double("clip") ?? 1; o.mlmRatio = p.double("mlm_ratio") ?? 0.2
        let fasta = p.url("fasta")!
        var sequences: [[Int32]] = []
        try FASTAReader(path: fasta.path).forEach { sequences.append(PretrainData.encode($0.sequence)) }
        let data = PretrainData(sequences: sequences, heldOutFraction: t.heldOutFraction)
        context.log("\(data.train.count) training and \(data.heldOut.count) held-out sequences from \(fasta.path)")
        let trainer = try PretrainTrainer(data: data, options: o)
        trainer.say = { context.log($0) }
        let checkpoint = p.string("checkpoint").map { p.resolve($0) }
        let logURL = context.scratchDirectory.appendingPathComponent("train-log.jsonl")
        if let checkpoint, try trainer.resume(from: checkpoint) {
            context.log("resumed from \(checkpoint.path) at step \(trainer.step)")
            let old = checkpoint.appendingPathComponent("train-log.jsonl")
            if FileManager.default.fileExists(atPath: old.path) { try FileManager.default.copyItem(at: old, to: logURL) }
        } else if let initial = p.url("init_from") {
            try trainer.initialise(from: initial)
            context.log("initialised from the weights in \(initial.path)")
        }
        try trainer.train(logURL: logURL, checkpoint: checkpoint) { done, total in
            context.progress(done: done, total: total, unit: "steps", loss: trainer.recentLoss)
        }
        if let checkpoint {
            let dst = checkpoint.appendingPathComponent("train-log.jsonl")
            try? FileManager.default.removeItem(at: dst)
            try FileManager.default.copyItem(at: logURL, to: dst)
        }

        // Model directory: weights, config, tokenizer files, log, plot and the figures for the model card.
        let out = p.string("output")!
        let staging = context.scratchDirectory.appendingPathComponent("model")
        try trainer.model.save(to: staging, dtype: p.string("dtype") == "bf16" ? .bf16 : .f32)
        if let tok = p.url("tokenizer") {
            for f in ["tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"] {
                let src = tok.appendingPathComponent(f)
                if FileManager.default.fileExists(atPath: src.path) {
                    try FileManager.default.copyItem(at: src, to: staging.appendingPathComponent(f))
                }
            }
        }
        try FileManager.default.copyItem(at: logURL, to: staging.appendingPathComponent("train-log.jsonl"))
        try PretrainPlot.svg(log: trainer.log).write(to: staging.appendingPathComponent("train-log.svg"),
                                                     atomically: true, encoding: .utf8)
        let final = trainer.log.last { $0["eval_mlm_ppl"] != nil } ?? [:]
        let summary: [String: Any] = [
            "steps": trainer.step, "train_sequences": data.train.count, "heldout_sequences": data.heldOut.count,
            "parameters": trainer.model.parameters.count,
            "heldout_mlm_ppl": final["eval_mlm_ppl"] ?? 0, "heldout_clm_ppl": final["eval_clm_ppl"] ?? 0,
            "heldout_glm_ppl": final["eval_glm_ppl"] ?? 0,
            "baseline_uniform20_ppl": 20.0, "baseline_unigram_ppl": data.unigramPerplexity(context: o.context),
            "context": o.context, "seed": Int(o.seed), "fasta": fasta.lastPathComponent,
        ]
        try CheckpointFiles.writeJSON(summary, to: staging.appendingPathComponent("training-summary.json"))
        context.log("summary: \(summary)")
        try FileManager.default.copyItem(at: logURL, to: context.output("log", file: "train-log.jsonl"))
        try FileManager.default.copyItem(at: staging.appendingPathComponent("train-log.svg"),
                                         to: context.output("curve", file: "train-log.svg"))
        try context.publishFiles("model", of: staging, into: out)
    }
}
