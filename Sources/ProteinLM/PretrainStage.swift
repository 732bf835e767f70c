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
    public let parameters: [ParameterSpec] = [
        ParameterSpec("fasta", .path, required: true, doc: "training sequences (FASTA; '*' stop symbols dropped)"),
        ParameterSpec("output", .string, required: true, doc: "model directory to write (config, weights, tokenizer, log, card data)"),
        ParameterSpec("tokenizer", .path, doc: "directory whose tokenizer files are copied into the model directory"),
        ParameterSpec("checkpoint", .string, doc: "checkpoint directory (saved at every evaluation; resumed from when present)"),
        ParameterSpec("init_from", .model, doc: "start from this model directory's weights (same architecture) instead of a random initialisation; ignored when resuming"),
        ParameterSpec("heldout_fraction", .float, default: .float(0.1), doc: "every round(1/f)-th record is held out"),
        ParameterSpec("layers", .int, default: .int(4), doc: "transformer layers"),
        ParameterSpec("hidden", .int, default: .int(256), doc: "hidden size"),
        ParameterSpec("heads", .int, default: .int(4), doc: "attention heads"),
        ParameterSpec("ffn", .int, default: .int(512), doc: "GeGLU width (dense_h_to_4h has 2× this)"),
        ParameterSpec("context", .int, default: .int(256), doc: "longest input in tokens (longer proteins are cropped)"),
        ParameterSpec("norm", .choice(["deepnorm", "pre"]), default: .string("deepnorm"), doc: "layer layout: DeepNorm post-LN (α = √(2·layers)) or pre-LN (α = 1, residual from the layer input)"),
        ParameterSpec("rotary_2d", .bool, default: .bool(true), doc: "2-D RoPE (positions and block positions)"),
        ParameterSpec("steps", .int, default: .int(1000), doc: "optimiser steps"),
        ParameterSpec("warmup", .int, default: .int(50), doc: "linear warm-up steps"),
        ParameterSpec("accumulate", .int, default: .int(1), doc: "micro-batches per optimiser step"),
        ParameterSpec("tokens_per_batch", .int, default: .int(4096), doc: "padded tokens per micro-batch"),
        ParameterSpec("lr", .float, default: .float(1e-3), doc: "peak learning rate"),
        ParameterSpec("weight_decay", .float, default: .float(0.01), doc: "AdamW decoupled weight decay (matrices only)"),
        ParameterSpec("clip", .float, default: .float(1.0), doc: "global gradient-norm clip"),
        ParameterSpec("dropout", .float, default: .float(0), doc: "hidden dropout (training only)"),
        ParameterSpec("mlm_ratio", .float, default: .float(0.2), doc: "fraction of examples trained with MLM (the rest GLM)"),
        ParameterSpec("eval_every", .int, default: .int(100), doc: "steps between held-out evaluations"),
        ParameterSpec("seed", .int, default: .int(0), doc: "seed of initialisation, data order, masking and dropout"),
        ParameterSpec("max_minutes", .float, doc: "stop (and save) after this much training time"),
        ParameterSpec("dtype", .choice(["f32", "bf16"]), default: .string("f32"), doc: "storage type of the saved weights"),
    ]
    public let outputs = [OutputSpec("model", doc: "the model directory"), OutputSpec("log", doc: "training log (JSONL)"),
                          OutputSpec("curve", doc: "learning curve and held-out perplexities (SVG, shown in the run report)")]

    public init() {}

    public static func register(in registry: StageRegistry) { registry.register(PretrainStage()) }

    public func run(_ context: StageContext) throws {
        let p = context.parameters
        var o = PretrainOptions()
        o.layers = p.int("layers") ?? o.layers; o.hidden = p.int("hidden") ?? o.hidden
        o.heads = p.int("heads") ?? o.heads; o.ffn = p.int("ffn") ?? o.ffn; o.context = p.int("context") ?? o.context
        o.rotary2D = p.bool("rotary_2d") ?? true
        o.preLN = p.string("norm") == "pre"
        o.steps = p.int("steps") ?? o.steps; o.warmup = p.int("warmup") ?? o.warmup
        o.accumulate = max(1, p.int("accumulate") ?? 1); o.tokensPerBatch = p.int("tokens_per_batch") ?? o.tokensPerBatch
        o.lr = Float(p.double("lr") ?? 1e-3); o.weightDecay = Float(p.double("weight_decay") ?? 0.01)
        o.clip = p.double("clip") ?? 1; o.dropout = Float(p.double("dropout") ?? 0)
        o.mlmRatio = p.double("mlm_ratio") ?? 0.2; o.evalEvery = max(1, p.int("eval_every") ?? 100)
        o.seed = UInt64(truncatingIfNeeded: p.int("seed") ?? 0); o.maxMinutes = p.double("max_minutes")
        let fasta = p.url("fasta")!
        var sequences: [[Int32]] = []
        try FASTAReader(path: fasta.path).forEach { sequences.append(PretrainData.encode($0.sequence)) }
        let data = PretrainData(sequences: sequences, heldOutFraction: p.double("heldout_fraction") ?? 0.1)
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
        for f in try FileManager.default.contentsOfDirectory(atPath: staging.path).sorted() {
            let dst = context.publish("model", to: out.hasSuffix("/") ? out + f : out + "/" + f)
            try FileManager.default.copyItem(at: staging.appendingPathComponent(f), to: dst)
        }
        let logDst = context.output("log", file: "train-log.jsonl")
        try FileManager.default.copyItem(at: logURL, to: logDst)
        try FileManager.default.copyItem(at: staging.appendingPathComponent("train-log.svg"),
                                         to: context.output("curve", file: "train-log.svg"))
    }
}
