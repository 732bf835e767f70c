import Foundation
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

    OPTIONS:
      --text FILE              JSONL (text/content), CSV (text/content column, or label,text rows:
                               the label is skipped), plain text (documents separated by blank lines); .gz/.zst
      --steps N (300)  --batch-size N (16)  --max-length N (128)  --lr X (1e-3 head, 2e-4 top, 1e-4 all)
      --warmup N (6 % of steps)  --weight-decay X (0.01)  --dropout P (0.1)  --whole-word
      --mask-probability P (0.15)  --heldout-fraction F (0.05)  --eval-every N (50)  --eval-blocks N (128)
      --seed S (0)  --max-minutes M  --threads N
    """

    static func run(_ args: inout Arguments) throws {
        let model = URL(fileURLWithPath: try args.required("model"))
        let text = try args.options("text"), exclude = try args.options("exclude")
        let output = URL(fileURLWithPath: try args.required("output"))
        var o = MLMAdaptOptions()
        let modeName: String = try args.option("mode", default: "head")
        guard let mode = MLMAdaptMode(rawValue: modeName) else {
            throw ArgumentError.unknownChoice("--mode", modeName, MLMAdaptMode.allCases.map(\.rawValue))
        }
        o.mode = mode
        o.topLayers = try positive(&args, "top-layers", 2)
        o.steps = try positive(&args, "steps", 300)
        o.batchSize = try positive(&args, "batch-size", 16)
        o.maxLength = try positive(&args, "max-length", 128)
        o.evalEvery = try positive(&args, "eval-every", 50)
        o.evalBlocks = try positive(&args, "eval-blocks", 128)
        o.learningRate = try args.option("lr").map { s in
            guard let v = Float(s), v > 0, v.isFinite else { throw ArgumentError.badValue("lr", s) }
            return v
        }
        o.warmup = try args.option("warmup").map { s in
            guard let v = Int(s), v >= 0 else { throw ArgumentError.badValue("warmup", s) }
            return v
        }
        o.weightDecay = try args.option("weight-decay", default: Float(0.01))
        o.dropout = try fraction(&args, "dropout", 0.1, allowZero: true).floatValue
        o.wholeWord = args.flag("whole-word")
        o.maskProbability = try fraction(&args, "mask-probability", 0.15, allowZero: false).doubleValue
        let heldOut = try fraction(&args, "heldout-fraction", 0.05, allowZero: true).doubleValue
        let seed: Int = try args.option("seed", default: 0)
        o.seed = UInt64(truncatingIfNeeded: seed)
        o.maxMinutes = try args.option("max-minutes").map { s in
            guard let v = Double(s), v > 0, v.isFinite else { throw ArgumentError.badValue("max-minutes", s) }
            return v
        }
        let checkpoint = try args.option("checkpoint").map { URL(fileURLWithPath: $0) }
        Parallel.threadCount = try ThreadsOption.parse(&args, default: Parallel.threadCount)
        try args.finish()
        guard !text.isEmpty else { throw ArgumentError.missingOption("text") }

        var run = MLMAdaptRun(model: model, text: text, output: output, workDirectory: output.appendingPathComponent(".work"))
        run.exclude = exclude
        run.checkpoint = checkpoint
        run.heldOutFraction = heldOut
        run.options = o
        defer { try? FileManager.default.removeItem(at: output.appendingPathComponent(".work")) }
        let summary = try run.run(say: { print($0); fflush(stdout) })
        print(String(format: "wrote %@ (%d steps, %.0f s)", output.path, summary.steps, summary.seconds))
    }

    static func positive(_ args: inout Arguments, _ name: String, _ fallback: Int) throws -> Int {
        let v: Int = try args.option(name, default: fallback)
        guard v >= 1 else { throw ArgumentError.badValue(name, "\(v) (expected at least 1)") }
        return v
    }

    static func fraction(_ args: inout Arguments, _ name: String, _ fallback: Double, allowZero: Bool) throws -> NSNumber {
        let v: Double = try args.option(name, default: fallback)
        guard v < 1, allowZero ? v >= 0 : v > 0 else { throw ArgumentError.badValue(name, "\(v) (expected a value in \(allowZero ? "[0" : "(0"), 1))") }
        return NSNumber(value: v)
    }
}
