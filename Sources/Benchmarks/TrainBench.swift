import Foundation
import Tensors
import Transformers
import CLISupport

/// `trellis bench train`: training throughput (forward + backward + AdamW) of a BERT-small-shaped masked LM,
/// next to torch CPU on the same shape and batch in the same run (scripts/bench/torch_train.py).
enum TrainBench {
    static let summary = "training tokens/s, BERT-small shape (4×256, FFN 1024, seq 128, batch 16) vs torch; --model pglm-tiny: the protein pretraining step"

    static func run(_ args: inout Arguments) throws {
        let steps = try args.option("steps", default: 5)
        let threads = try ThreadsOption.parse(&args, default: Parallel.threadCount)
        let noReference = args.flag("no-reference")
        let json = args.flag("json")
        let python = try args.option("python")
        let model = try args.option("model") ?? "bert-small"
        let fasta = try args.option("fasta") ?? "data/proteins/pglm-corpus/train.faa.zst"
        let tokensPerBatch = try args.option("tokens-per-batch", default: 2048)
        let profile = args.flag("profile")
        let pglmLayers = try args.option("layers", default: 5), pglmHidden = try args.option("hidden", default: 128)
        try args.finish()
        Parallel.threadCount = max(1, threads)
        switch model {
        case "bert-small": break
        case "pglm-tiny":
            return try runPGLM(fasta: fasta, steps: steps, tokensPerBatch: tokensPerBatch, layers: pglmLayers,
                               hidden: pglmHidden, profile: profile, json: json, reference: noReference ? nil : python ?? "")
        default:
            throw ArgumentError.unknownChoice("--model", model, ["bert-small", "pglm-tiny"])
        }
        let (layers, hidden, heads, ffn, length, batch) = (4, 256, 4, 1024, 128, 16)
        BenchHeader.print("train", json: json)
        if !json { print("BERT \(layers)×\(hidden), \(heads) heads, FFN \(ffn), batch \(batch) × \(length)") }
        let bert = try EncoderTrainingModel.randomBert(layers: layers, hidden: hidden, heads: heads, intermediate: ffn, seed: 1)
        let opt = AdamW(count: bert.parameters.count)
        // Same batch recipe as the torch script: random ids, 15 % of positions predicted.
        var rng = SeededRandom(seed: 7)
        var ids = [Int32](repeating: 0, count: batch * length), selected: [Int] = [], targets: [Int32] = []
        for i in 0..<ids.count {
            ids[i] = Int32(1000 + Int(rng.next() % 20000))
            if i % length != 0 && rng.nextUnit() < 0.15 { selected.append(i); targets.append(ids[i]); ids[i] = 103 }
        }
        let b = TrainingBatch(batch: batch, length: length, ids: ids, positions: (0..<ids.count).map { Int32($0 % length) },
                              mask: TrainingMask(lengths: [Int](repeating: length, count: batch),
                                                 prefixes: [Int](repeating: length, count: batch)),
                              selected: selected, targets: targets)
        func step() {
            bert.parameters.zeroGradients()
            bert.trainStep(b)
            bert.parameters.clipGradients(maxNorm: 1)
            opt.update(bert.parameters, lr: 1e-4)
        }
        step()   // warm-up
        var best = Double.infinity
        for _ in 0..<steps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            step()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let ours = Double(batch * length) / best
        let torch = noReference ? nil : torchReference(threads: Parallel.threadCount, steps: steps, python: python, quiet: json)
        if json {
            var record: [String: Any] = ["bench": "train", "layers": layers, "hidden": hidden, "heads": heads, "ffn": ffn,
                                         "batch": batch, "length": length, "threads": Parallel.threadCount,
                                         "trellis_seconds_per_step": best, "trellis_tokens_per_second": ours]
            if let torch { record["torch_seconds_per_step"] = torch; record["torch_tokens_per_second"] = Double(batch * length) / torch }
            print(try BenchJSON.line(record))
            return
        }
        print(String(format: "  trellis  %8.3f s/step  %9.1f tok/s", best, ours))
        guard let torch else { return }
        print(String(format: "  torch    %8.3f s/step  %9.1f tok/s", torch, Double(batch * length) / torch))
        print(String(format: "  ratio trellis/torch throughput: %.2f", torch / best))
    }

    /// Seconds per step from scripts/bench/torch_train.py (best of `steps`), nil when python/torch is unavailable.
    static func torchReference(threads: Int, steps: Int, python: String?, quiet: Bool) -> Double? {
        guard let script = ReferenceScript("torch_train.py", python: python) else {
            if !quiet { print("torch reference: scripts/bench/torch_train.py not found (run from the repository root)") }
            return nil
        }
        let r: ReferenceScript.Output
        do { r = try script.run(["--threads", "\(threads)", "--steps", "\(steps)"]) } catch {
            if !quiet { print("torch reference: cannot run \(script.interpreter) (\(error))") }
            return nil
        }
        if let s = r.jsonLines.compactMap({ $0["seconds_per_step"] as? Double }).first { return s }
        if !quiet { print("torch reference: no figure (python exit status \(r.status))") }
        return nil
    }
}
