import Foundation
import Formats
import Tensors
import Transformers

/// Settings of a `protein.pretrain` run.
public struct PretrainOptions: Sendable {
    public var layers = 4, hidden = 256, heads = 4, ffn = 512, context = 256
    public var rotary2D = true
    /// Pre-LN layers (LayerNorm before each sublayer, residual from the layer input, α = 1) instead of
    /// DeepNorm post-LN (residual from the normalised input, α = √(2·layers)).
    public var preLN = false
    public var steps = 1000, warmup = 50, accumulate = 1
    public var tokensPerBatch = 4096, maxBatch = 64
    public var lr: Float = 1e-3, weightDecay: Float = 0.01, clip: Double = 1.0, dropout: Float = 0
    public var mlmRatio = 0.2
    public var evalEvery = 100, logEvery = 10
    public var seed: UInt64 = 0
    /// Stop early (and save) after this many minutes of training; nil for no limit.
    public var maxMinutes: Double?
    public init() {}
}

/// The training loop: seeded batches (a pure function of seed and step, so a resumed run sees the same data),
/// AdamW with warm-up + linear decay, clipping, accumulation, held-out MLM and CLM perplexity, JSONL log,
/// checkpoints with optimiser state.
public final class PretrainTrainer {
    public let options: PretrainOptions
    public let data: PretrainData
    public let model: PGLMTrainingModel
    let optimizer: AdamW
    let schedule: LinearSchedule
    private let sortedTrain: [Int]
    public private(set) var step = 0
    public private(set) var log: [[String: Any]] = []
    /// Mean training loss of the current logging window (nil before the first step), for progress lines.
    public private(set) var recentLoss: Double?
    /// Where progress lines go (the stage's log).
    public var say: (String) -> Void = { print($0) }

    public init(data: PretrainData, options o: PretrainOptions) throws {
        options = o
        self.data = data
        var c = PGLMConfiguration(layers: o.layers, hidden: o.hidden, heads: o.heads, ffn: o.ffn, vocabSize: 128,
                                  causal: false, rotary2D: o.rotary2D)
        c.seqLength = o.context
        c.padTokenId = 0
        if o.preLN { c.deepnorm = false; c.applyResidualConnectionPostLayernorm = false }
        try c.validate(file: "protein.pretrain parameters (layers, hidden, heads, ffn, context)")
        model = try PGLMTrainingModel(config: c, seed: o.seed)
        model.dropout = o.dropout
        optimizer = AdamW(count: model.parameters.count, weightDecay: o.weightDecay)
        schedule = LinearSchedule(peak: o.lr, warmup: o.warmup, total: o.steps)
        sortedTrain = data.train.indices.sorted { (data.train[$0].count, $0) < (data.train[$1].count, $1) }
    }

    /// The micro-batch `micro` of optimiser step `step`: a run of length-sorted training sequences from a random
    /// start (little padding), each cropped to a random window, each MLM with probability `mlmRatio`, else GLM.
    public func batch(step: Int, micro: Int) -> TrainingBatch {
        var rng = SeededRandom(seed: options.seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(step * 64 + micro))
        let maxResidues = options.context - 3
        var start = Int(rng.next() % UInt64(sortedTrain.count))
        var picked: [Int] = []
        while true {
            let idx = sortedTrain[start]
            let len = min(data.train[idx].count, maxResidues) + 3
            if !picked.isEmpty && ((picked.count + 1) * len > options.tokensPerBatch || picked.count >= options.maxBatch) { break }
            picked.append(idx)
            start += 1
            if start == sortedTrain.count { break }
        }
        let examples: [PretrainExample] = picked.map { idx in
            let s = data.train[idx]
            let n = min(s.count, maxResidues)
            let off = s.count > n ? Int(rng.next() % UInt64(s.count - n + 1)) : 0
            let window = s[off..<(off + n)]
            if rng.nextUnit() < options.mlmRatio { return PretrainExample.mlm(window, rng: &rng) }
            let k = (rng.nextUnit() < 0.5 || n < 2) ? 0 : 1 + Int(rng.next() % UInt64(n - 1))
            return evaluator.positioned(PretrainExample.glm(window, contextLength: k))
        }
        return TrainingBatch(examples: examples)
    }

    var evaluator: PerplexityEvaluator {
        PerplexityEvaluator(context: options.context, tokensPerBatch: options.tokensPerBatch, rotary2D: options.rotary2D)
    }

    /// Held-out perplexities (MLM, CLM, GLM) of the current weights; see `PerplexityEvaluator`.
    public func evaluate() -> (mlm: Double, clm: Double, glm: Double) {
        let r = evaluator.evaluate(model, sequences: data.heldOut)
        return (r.mlm, r.clm, r.glm)
    }

    /// Starts from the weights of a model directory written by this trainer (or any xTrimoPGLM checkpoint
    /// of the same shape) instead of a random initialisation; the optimiser and step start afresh.
    public func initialise(from dir: URL) throws {
        // Same tensor names and shapes in both layouts, so a layout mismatch would load silently.
        let configURL = dir.appendingPathComponent("config.json")
        if let data = FileManager.default.contents(atPath: configURL.path),
           let c = try? JSONDecoder().decode(PGLMConfiguration.self, from: data),
           c.deepnorm != model.config.deepnorm
            || c.applyResidualConnectionPostLayernorm != model.config.applyResidualConnectionPostLayernorm {
            throw ProteinLMError.badOption(name: "init_from", detail: "\(configURL.path): deepnorm \(c.deepnorm), "
                + "apply_residual_connection_post_layernorm \(c.applyResidualConnectionPostLayernorm); expected the "
                + "layout this run trains (norm: \(options.preLN ? "pre" : "deepnorm"))")
        }
        let file = try SafetensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        try model.parameters.load(from: file, aliases: PGLMTrainingModel.tiedHead, refusingOthers: true)
    }

    /// Trains until `options.steps` (or the time limit); `checkpoint` is saved at every evaluation and at the end.
    public func train(logURL: URL, checkpoint: URL?, until: Int? = nil, progress: (Int, Int) -> Void) throws {
        let started = Date()
        var tokens = 0, windowLoss = 0.0, windowCount = 0, windowTokens = 0
        var windowStart = Date()
        let handle = try Self.appendHandle(logURL)
        defer { try? handle.close() }
        func write(_ record: [String: Any]) {
            log.append(record)
            // `write(contentsOf:)` throws where `write(_:)` traps on a full disk.
            if let d = try? JSONWriter.bytes(JSONValue(foundation: record)) {
                try? handle.write(contentsOf: Data(d + [10]))
            }
        }
        if step == 0 {
            let e = evaluate()
            write(["step": 0, "eval_mlm_ppl": e.mlm, "eval_clm_ppl": e.clm, "eval_glm_ppl": e.glm])
            say("step 0: held-out MLM ppl \(fmt(e.mlm)), CLM ppl \(fmt(e.clm)), GLM ppl \(fmt(e.glm))")
        }
        while step < min(options.steps, until ?? Int.max) {
            model.parameters.zeroGradients()
            var loss = 0.0
            for micro in 0..<options.accumulate {
                let b = batch(step: step, micro: micro)
                model.reseedDropout(options.seed &+ 0xD80F ^ UInt64(step * 64 + micro))
                loss += model.trainStep(b, scale: 1 / Float(options.accumulate))
                let real = b.mask.lengths.reduce(0, +)
                tokens += real; windowTokens += real
            }
            let norm = model.parameters.clipGradients(maxNorm: options.clip)
            // With a time limit the schedule follows whichever is further along, steps or time, so the decay
            // completes when time runs out (reproducible runs leave max_minutes unset).
            var scheduleStep = step
            if let limit = options.maxMinutes {
                let fraction = Date().timeIntervalSince(started) / (limit * 60)
                scheduleStep = min(options.steps - 1, max(step, Int(fraction * Double(options.steps))))
            }
            let lr = schedule.lr(at: scheduleStep)
            optimizer.update(model.parameters, lr: lr)
            step += 1
            windowLoss += loss; windowCount += 1
            recentLoss = windowLoss / Double(windowCount)
            progress(step, options.steps)
            if step % options.logEvery == 0 || step == options.steps {
                let dt = Date().timeIntervalSince(windowStart)
                write(["step": step, "loss": windowLoss / Double(windowCount), "lr": Double(lr), "grad_norm": norm,
                       "tokens": tokens, "tokens_per_s": Double(windowTokens) / max(dt, 1e-9),
                       "elapsed_s": Date().timeIntervalSince(started)])
                say("step \(step): loss \(fmt(windowLoss / Double(windowCount))) lr \(lr) \(Int(Double(windowTokens) / max(dt, 1e-9))) tok/s")
                windowLoss = 0; windowCount = 0; windowTokens = 0; windowStart = Date()
            }
            let outOfTime = options.maxMinutes.map { Date().timeIntervalSince(started) > $0 * 60 } ?? false
            if outOfTime && step < options.steps && step % options.evalEvery != 0 { say("time limit reached") }
            if step % options.evalEvery == 0 || step == options.steps || outOfTime {
                let e = evaluate()
                write(["step": step, "eval_mlm_ppl": e.mlm, "eval_clm_ppl": e.clm, "eval_glm_ppl": e.glm, "tokens": tokens,
                       "elapsed_s": Date().timeIntervalSince(started)])
                say("step \(step): held-out MLM ppl \(fmt(e.mlm)), CLM ppl \(fmt(e.clm)), GLM ppl \(fmt(e.glm))")
                if let checkpoint { try saveCheckpoint(checkpoint) }
            }
            if outOfTime { say("time limit reached at step \(step)"); break }
            if let until, step == until, let checkpoint { try saveCheckpoint(checkpoint) }
        }
    }

    static func appendHandle(_ url: URL) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        let h = try FileHandle(forWritingTo: url)
        h.seekToEndOfFile()
        return h
    }

    /// Model files + `optimizer.safetensors` (moments) + `trainer_state.json` (step, seed).
    public func saveCheckpoint(_ dir: URL) throws {
        try model.save(to: dir, dtype: .f32)
        var w = SafetensorsWriter(metadata: ["step": String(optimizer.step)])
        try w.add("exp_avg", floats: optimizer.m, shape: [optimizer.m.count])
        try w.add("exp_avg_sq", floats: optimizer.v, shape: [optimizer.v.count])
        try CheckpointFiles.writeAtomically(w.serialized(), to: dir.appendingPathComponent("optimizer.safetensors"))
        try CheckpointFiles.writeJSON(["step": step, "optimizer_step": optimizer.step, "seed": Int(options.seed),
                                       "total_steps": options.steps],
                                      to: dir.appendingPathComponent("trainer_state.json"))
    }

    /// Restores weights, moments and step from `saveCheckpoint`'s directory; false when there is none.
    public func resume(from dir: URL) throws -> Bool {
        let state = dir.appendingPathComponent("trainer_state.json")
        guard FileManager.default.fileExists(atPath: state.path) else { return false }
        let json = try JSONReader.read(path: state.path).foundation as? [String: Any] ?? [:]
        let file = try SafetensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        try model.parameters.load(from: file, refusingOthers: true)
        let opt = try SafetensorsFile(url: dir.appendingPathComponent("optimizer.safetensors"))
        optimizer.restore(m: try opt.floats("exp_avg"), v: try opt.floats("exp_avg_sq"),
                          step: json["optimizer_step"] as? Int ?? 0)
        step = json["step"] as? Int ?? 0
        return true
    }
}

func fmt(_ x: Double) -> String { String(format: "%.3f", x) }
