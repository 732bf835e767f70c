import Foundation
import PipelineEngine
import PromptAlign
import CLISupport
import Tensors

/// `trellis mlm-adapt`: continued masked-LM training of a BERT or RoBERTa checkpoint on unlabelled text
/// (the `mlm.adapt` stage outside a pipeline).
enum MLMAdaptCommand: Command {
    static let name = "mlm-adapt"
    static let summary = "continue masked-LM training of a BERT/RoBERTa checkpoint on unlabelled in-domain text"
    static let usage = """
    USAGE: trellis mlm-adapt --model DIR --text FILE [--text FILE…] [--exclude TEST.csv…] --output DIR
                             [--mode head|top|all] [--top-layers 2] [--steps 300] [options]

    Trains the masked-LM objective (15 % of tokens chosen: 80 % [MASK], 10 % random, 10 % kept) on blocks of
    --max-length tokens cut from each document, evaluating held-out loss, perplexity and top-1 / top-10
    accuracy every --eval-every steps. A checkpoint without a masked-LM head (all-MiniLM-L6-v2) gets one
    initialised first (identity transform, unit LayerNorm, tied decoder, zero bias). --mode head trains
    only the head's transform and bias (encoder and tied decoder frozen); top adds the top --top-layers
    layers; all trains everything. Texts equal to an --exclude article (exactly, or after lower-casing and
    dropping punctuation and spacing) and repeats are dropped; labels are never read.

    Writes into --output: config.json, model.safetensors (BertForMaskedLM / RobertaForMaskedLM names, F32),
    tokenizer files, mlm-adapt-log.jsonl and mlm-adapt-curve.svg. With --checkpoint DIR the run saves
    there at every evaluation and resumes from it when started again.

    OPTIONS (the mlm.adapt stage's parameters; --text and --exclude are repeatable):
    \(schema.usage)

    EXAMPLES:
      trellis mlm-adapt --model ../shared/models/all-MiniLM-L6-v2 --text news.jsonl --exclude test.csv \\
                        --steps 50 --output out/minilm-news
    """

    /// The command's options: `mlm.adapt`'s schema; the model directory written is required here.
    static let schema = OptionSchema(stage: PromptAlignStages.mlmAdaptStage, extra: [
        ParameterSpec("output", .outputPath, required: true, doc: "the model directory to write"),
        OptionSchema.threads,
    ], excluded: ["model"], repeated: ["text", "exclude"]) { p in
        OptionSchema.checkThreads(p) + PromptAlignStages.mlmAdaptStage.validate(p)
    }

    static func run(_ args: inout Arguments) throws {
        var values = try schema.read(&args)
        let (model, _) = try args.modelAndPositionals([])
        try args.finish()
        values["model"] = .string(model.path)
        let p = try schema.typed(values)
        let output = URL(fileURLWithPath: p.string("output") ?? "")
        if let n = p.int("threads") { Parallel.threadCount = n }
        var run = MLMAdaptRun(model: model, text: p.strings("text"), output: output, workDirectory: output.appendingPathComponent(".work"))
        run.exclude = p.strings("exclude")
        run.checkpoint = p.string("checkpoint").map { URL(fileURLWithPath: $0) }
        run.heldOutFraction = p.double("heldout_fraction") ?? 0.05
        run.options = PromptAlignStages.mlmAdaptOptions(p)
        defer { try? FileManager.default.removeItem(at: output.appendingPathComponent(".work")) }
        let summary = try run.run(say: { print($0); fflush(stdout) })
        print(String(format: "wrote %@ (%d steps, %.0f s)", output.path, summary.steps, summary.seconds))
    }
}
