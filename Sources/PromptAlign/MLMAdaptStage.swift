import Foundation
import Formats
import PipelineEngine

/// `mlm.adapt`: continued masked-LM training of a BERT or RoBERTa checkpoint on unlabelled in-domain text.
struct MLMAdaptStage: StageType {
    let name = "mlm.adapt"
    let version = 1
    let summary = "continue masked-LM training of a BERT/RoBERTa checkpoint on unlabelled text (head, top layers or all)"
    /// Defaults of the training options shared with protein.pretrain.
    static let training = TrainingParameters(steps: 300, warmup: nil, learningRate: nil, dropout: 0.1,
                                             heldOutFraction: 0.05, evalEvery: 50)
    let parameters: [ParameterSpec] = [
        ParameterSpec("model", .model, required: true, doc: "BERT or RoBERTa checkpoint (a bare encoder gets an initialised head first)"),
        ParameterSpec("text", .list(.path), required: true, doc: "unlabelled text: JSONL (text/content), CSV (text/content column, or label,text rows whose label is skipped), plain text (blank-line separated); .gz/.zst"),
        ParameterSpec("exclude", .list(.path), doc: "articles never trained on (the evaluated test split): exact or normalised-text matches are dropped"),
        ParameterSpec("output", .string, doc: "model directory to write (default: inside the work directory); later stages name it and add `needs`"),
        ParameterSpec("checkpoint", .string, doc: "checkpoint directory: saved at every evaluation, resumed from when present"),
        ParameterSpec("mode", .choice(MLMAdaptMode.allCases.map(\.rawValue)), default: .string("head"),
                      doc: "head: head only (encoder frozen); top: head + top_layers layers; all: every parameter"),
        ParameterSpec("top_layers", .int, default: .int(2), doc: "layers trained in mode top"),
        ParameterSpec("batch_size", .int, default: .int(16), doc: "blocks per step"),
        ParameterSpec("max_length", .int, default: .int(128), doc: "tokens per block, special tokens included"),
        ParameterSpec("whole_word", .bool, default: .bool(false), doc: "mask whole words instead of single tokens"),
        ParameterSpec("mask_probability", .float, default: .float(0.15), doc: "fraction of tokens chosen (80 % mask, 10 % random, 10 % kept)"),
        ParameterSpec("eval_blocks", .int, default: .int(128), doc: "held-out blocks evaluated"),
    ] + MLMAdaptStage.training.specs(notes: ["lr": "default: 1e-3 head, 2e-4 top, 1e-4 all", "warmup": "default: 6 % of steps",
                               "heldout_fraction": "a record is a document"])
    let outputs = [OutputSpec("model", doc: "the adapted model directory (loads in transformers as *ForMaskedLM)"),
                   OutputSpec("log", doc: "training log (JSONL): loss, lr, tokens/s; held-out loss, perplexity, top-1, top-10"),
                   OutputSpec("curve", doc: "learning curve (SVG, shown in the run report)"),
                   OutputSpec("summary", doc: "documents kept and excluded, blocks, first and last held-out figures (JSON)"),
                   OutputSpec("perplexity", doc: "final held-out perplexity")]

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        var out = TrainingParameters.problems(p)
        for key in ["batch_size", "eval_blocks", "top_layers"] {
            if let v = p.int(key), v < 1 { out.append((key, "must be at least 1")) }
        }
        if let v = p.double("mask_probability"), !(v > 0 && v < 1) { out.append(("mask_probability", "must be in (0, 1)")) }
        return out
    }

    /// The training options these (validated) parameters describe; `trellis mlm-adapt` runs the same.
    static func options(_ p: TypedParameters) -> MLMAdaptOptions {
        let t = Self.training.reading(p)
        var o = MLMAdaptOptions()
        o.mode = MLMAdaptMode(rawValue: p.string("mode") ?? "head") ?? .head
        o.topLayers = p.int("top_layers") ?? 2
        o.steps = t.steps
        o.batchSize = p.int("batch_size") ?? o.batchSize
        o.maxLength = p.int("max_length") ?? o.maxLength
        o.learningRate = t.learningRate.map(Float.init)
        o.warmup = t.warmup
        o.weightDecay = Float(t.weightDecay)
        o.dropout = Float(t.dropout)
        o.wholeWord = p.bool("whole_word") ?? false
        o.maskProbability = p.double("mask_probability") ?? 0.15
        o.evalEvery = t.evalEvery
        o.evalBlocks = p.int("eval_blocks") ?? o.evalBlocks
        o.seed = t.seed
        o.maxMinutes = t.maxMinutes
        return o
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let source = try PromptStageParameters.modelDirectory(p.url("model")!)
        // Published outputs are files: with `output`, the model is written to scratch and published file by file.
        let published = p.string("output")
        let output = published == nil ? context.output("model", file: "model") : context.scratchDirectory.appendingPathComponent("model")
        var run = MLMAdaptRun(model: source, text: p.strings("text").map { p.resolve($0).path }, output: output,
                              workDirectory: context.scratchDirectory)
        run.exclude = p.strings("exclude").map { p.resolve($0).path }
        run.checkpoint = p.string("checkpoint").map { p.resolve($0) }
        run.heldOutFraction = Self.training.reading(p).heldOutFraction
        run.options = Self.options(p)
        let summary = try run.run(say: { context.log($0) }, progress: { context.progress(done: $0, total: $1) })
        if let published { try context.publishFiles("model", of: output, into: published) }
        try FileManager.default.copyItem(at: summary.log, to: context.output("log", file: "mlm-adapt-log.jsonl"))
        try FileManager.default.copyItem(at: summary.curve, to: context.output("curve", file: "mlm-adapt-curve.svg"))
        try writeAtomically(Data(try JSONWriter.bytes(JSONValue(foundation: summary.json), pretty: true)),
                            to: context.output("summary", file: "mlm-adapt-summary.json"))
        context.output("perplexity", text: summary.last.map { "\($0.perplexity)" } ?? "")
    }
}
