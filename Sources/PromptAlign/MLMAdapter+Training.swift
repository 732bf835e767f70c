import DataIO
import Foundation
import Formats
import Tensors
import Transformers

/// Held-out masked-LM figures: mean loss (nats), perplexity, top-1 and top-10 accuracy over the masked tokens.
public struct MLMEvaluation: Sendable, Equatable {
    public var loss: Double
    public var perplexity: Double { exp(loss) }
    public var top1: Double
    public var top10: Double
    public var tokens: Int
}

extension MLMAdapter {
    /// Held-out figures on the first `evalBlocks` held-out blocks, each masked from its own fixed seed (the
    /// same tokens at every evaluation and in every run), dropout off.
    public func evaluate() -> MLMEvaluation? {
        let held = Array(blocks.heldOut.prefix(options.evalBlocks))
        guard !held.isEmpty else { return nil }
        var nll = 0.0, top1 = 0, top10 = 0, count = 0
        var start = 0
        while start < held.count {
            let chunk = held[start..<min(held.count, start + options.batchSize)]
            let items = chunk.enumerated().map { k, block -> (ids: [Int32], positions: [Int], targets: [Int32]) in
                var rng = SeededRandom(seed: 0xE7A1_0000 &+ UInt64(start + k))
                return masking.apply(block, rng: &rng)
            }
            start += chunk.count
            let batch = trainingBatch(items)
            let logits = model.forward(batch, training: false)                  // [S, V]
            let v = model.vocabularySize
            logits.withUnsafeBufferPointer { lp in
                for (r, target) in batch.targets.enumerated() {
                    let z = lp.baseAddress! + r * v, t = Int(target)
                    var mx = -Float.infinity
                    for j in 0..<v { mx = max(mx, z[j]) }
                    var sum = 0.0, above = 0
                    for j in 0..<v {
                        sum += Double(expf(z[j] - mx))
                        if z[j] > z[t] { above += 1 }
                    }
                    nll += log(sum) + Double(mx - z[t])
                    if above == 0 { top1 += 1 }
                    if above < 10 { top10 += 1 }
                }
            }
            count += batch.targets.count
        }
        let n = Double(max(count, 1))
        return MLMEvaluation(loss: nll / n, top1: Double(top1) / n, top10: Double(top10) / n, tokens: count)
    }

    /// Trains until `options.steps` (or the time limit), appending to the JSONL log at `logURL`; the checkpoint,
    /// when given, is saved after every evaluation and at the end.
    public func train(logURL: URL, checkpoint: URL?, tokenizerFrom: URL, progress: (Int, Int) -> Void = { _, _ in }) throws {
        let started = Date()
        let writer = try MLMLogWriter(url: logURL)
        func record(_ r: [String: Any]) throws { records.append(r); try writer.append(r) }
        func evaluation() throws {
            guard let e = evaluate() else { return }
            try record(["step": step, "eval_loss": e.loss, "eval_ppl": e.perplexity, "eval_top1": e.top1, "eval_top10": e.top10,
                        "eval_tokens": e.tokens, "elapsed_s": Date().timeIntervalSince(started)])
            say(String(format: "step %d: held-out MLM loss %.4f, perplexity %.2f, top-1 %.4f, top-10 %.4f (%d tokens)",
                       step, e.loss, e.perplexity, e.top1, e.top10, e.tokens))
        }
        if step == 0 { try evaluation() }
        var windowLoss = 0.0, windowSteps = 0, windowTokens = 0, windowStart = Date()
        while step < options.steps {
            let b = batch(step: step)
            model.parameters.zeroGradients()
            model.reseedDropout(options.seed &+ 0xD80F ^ UInt64(step))
            windowLoss += model.trainStep(b)
            windowTokens += b.mask.lengths.reduce(0, +)
            windowSteps += 1
            let norm = model.parameters.clipGradients(maxNorm: options.clip)
            let lr = schedule.lr(at: step)
            optimizer.update(model.parameters, lr: lr, trained: trains)
            step += 1
            progress(step, options.steps)
            let outOfTime = options.maxMinutes.map { Date().timeIntervalSince(started) > $0 * 60 } ?? false
            let pausing = options.stopAfter == step
            let evaluating = step % options.evalEvery == 0 || step == options.steps || outOfTime || pausing
            if step % 10 == 0 || evaluating {
                let dt = max(Date().timeIntervalSince(windowStart), 1e-9)
                try record(["step": step, "loss": windowLoss / Double(windowSteps), "lr": Double(lr), "grad_norm": norm,
                            "tokens_per_s": Double(windowTokens) / dt, "elapsed_s": Date().timeIntervalSince(started)])
                say(String(format: "step %d: loss %.4f lr %.3g %.0f tok/s", step, windowLoss / Double(windowSteps), lr, Double(windowTokens) / dt))
                windowLoss = 0; windowSteps = 0; windowTokens = 0; windowStart = Date()
            }
            if evaluating {
                try evaluation()
                if let checkpoint { try saveCheckpoint(checkpoint, tokenizerFrom: tokenizerFrom, logURL: logURL) }
            }
            if outOfTime { say("time limit reached at step \(step)"); break }
            if pausing { say("stopping after step \(step) as asked"); break }
        }
    }

    /// The model (loadable by transformers, tokenizer included), `optimizer.safetensors` (AdamW moments),
    /// `trainer_state.json` (step, mode, seed) and the log so far.
    public func saveCheckpoint(_ dir: URL, tokenizerFrom: URL, logURL: URL?) throws {
        try PromptCheckpoint.save(model, to: dir, tokenizerFrom: tokenizerFrom)
        var w = SafetensorsWriter(metadata: ["step": String(optimizer.step)])
        try w.add("exp_avg", floats: optimizer.m, shape: [optimizer.m.count])
        try w.add("exp_avg_sq", floats: optimizer.v, shape: [optimizer.v.count])
        try CheckpointFiles.writeAtomically(w.serialized(), to: dir.appendingPathComponent("optimizer.safetensors"))
        if let logURL, let data = FileManager.default.contents(atPath: logURL.path) {
            try writeAtomically(data, to: dir.appendingPathComponent("train-log.jsonl"))
        }
        // Written last: its presence says the rest of the checkpoint is complete.
        try CheckpointFiles.writeJSON(["step": step, "optimizer_step": optimizer.step, "seed": Int(truncatingIfNeeded: options.seed),
                                       "mode": options.mode.rawValue, "top_layers": options.topLayers, "total_steps": options.steps,
                                       "fingerprint": fingerprint],
                                      to: dir.appendingPathComponent("trainer_state.json"))
    }

    /// The configuration fingerprint a checkpoint was saved with (nil: none, or an older checkpoint).
    public static func fingerprint(of dir: URL) -> String? {
        let state = try? JSONReader.read(path: dir.appendingPathComponent("trainer_state.json").path).foundation
        return (state as? [String: Any])?["fingerprint"] as? String
    }

    /// Whether `dir` holds a checkpoint `saveCheckpoint` finished.
    public static func hasCheckpoint(_ dir: URL) -> Bool {
        FileManager.default.fileExists(atPath: dir.appendingPathComponent("trainer_state.json").path)
    }

    /// Restores moments, step and log from a checkpoint whose weights `model` was loaded from; a checkpoint
    /// of another mode is refused (its frozen parameters would not match).
    public func resume(from dir: URL, logURL: URL) throws {
        let stateURL = dir.appendingPathComponent("trainer_state.json")
        guard let state = try JSONReader.read(path: stateURL.path).foundation as? [String: Any],
              let saved = state["step"] as? Int, let optimizerStep = state["optimizer_step"] as? Int else {
            throw PromptAlignError.io(file: stateURL.path, message: "expected an object with integer 'step' and 'optimizer_step'")
        }
        let mode = state["mode"] as? String, top = state["top_layers"] as? Int
        guard mode == options.mode.rawValue, options.mode != .top || top == options.topLayers else {
            throw PromptAlignError.mismatch(what: stateURL.path, expected: "a checkpoint of mode \(options.mode.rawValue)"
                                            + (options.mode == .top ? " with top_layers \(options.topLayers)" : ""),
                                            found: "mode \(mode ?? "?"), top_layers \(top.map(String.init) ?? "?")")
        }
        let opt = try SafetensorsFile(url: dir.appendingPathComponent("optimizer.safetensors"))
        let m = try opt.floats("exp_avg"), v = try opt.floats("exp_avg_sq")
        guard m.count == model.parameters.count, v.count == model.parameters.count, saved >= 0, optimizerStep >= 0 else {
            throw PromptAlignError.mismatch(what: dir.appendingPathComponent("optimizer.safetensors").path,
                                            expected: "\(model.parameters.count) moments", found: "\(m.count) and \(v.count)")
        }
        optimizer.restore(m: m, v: v, step: optimizerStep)
        step = saved
        let old = dir.appendingPathComponent("train-log.jsonl")
        if let data = FileManager.default.contents(atPath: old.path) {
            try writeAtomically(data, to: logURL)
            records = try JSONLReader.readAll(path: logURL.path).compactMap { $0 as? [String: Any] }
        }
    }
}

/// Appends JSON records to a log file, one per line.
struct MLMLogWriter {
    let handle: FileHandle

    init(url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    func append(_ record: [String: Any]) throws {
        try handle.write(contentsOf: Data(try JSONWriter.bytes(JSONValue(foundation: record)) + [10]))
    }
}
