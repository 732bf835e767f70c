import Foundation
import Tensors
import Transformers

/// `trellis bench train`: training throughput (forward + backward + AdamW) of a BERT-small-shaped masked LM,
/// next to torch CPU on the same shape and batch in the same run (scripts/bench/torch_train.py).
enum TrainBench {
    static let summary = "training tokens/s, BERT-small shape (4×256, FFN 1024, seq 128, batch 16) vs torch"

    static func run(_ args: inout Arguments) throws {
        let steps = try args.option("steps", default: 5)
        let threads = try ThreadsOption.parse(&args, default: Parallel.threadCount)
        let noReference = args.flag("no-reference")
        try args.finish()
        Parallel.threadCount = max(1, threads)
        let (layers, hidden, heads, ffn, length, batch) = (4, 256, 4, 1024, 128, 16)
        BenchHeader.print("train")
        print("BERT \(layers)×\(hidden), \(heads) heads, FFN \(ffn), batch \(batch) × \(length)")
        let model = try EncoderTrainingModel.randomBert(layers: layers, hidden: hidden, heads: heads, intermediate: ffn, seed: 1)
        let opt = AdamW(count: model.parameters.count)
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
            model.parameters.zeroGradients()
            model.trainStep(b)
            model.parameters.clipGradients(maxNorm: 1)
            opt.update(model.parameters, lr: 1e-4)
        }
        step()   // warm-up
        var best = Double.infinity
        for _ in 0..<steps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            step()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let ours = Double(batch * length) / best
        print(String(format: "  trellis  %8.3f s/step  %9.1f tok/s", best, ours))
        guard !noReference, let torch = torchReference(threads: Parallel.threadCount, steps: steps) else { return }
        print(String(format: "  torch    %8.3f s/step  %9.1f tok/s", torch, Double(batch * length) / torch))
        print(String(format: "  ratio trellis/torch throughput: %.2f", torch / best))
    }

    /// Seconds per step from scripts/bench/torch_train.py (best of `steps`), nil when python/torch is unavailable.
    static func torchReference(threads: Int, steps: Int) -> Double? {
        let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("scripts/bench/torch_train.py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            print("torch reference: \(script.path) not found (run from the repository root)")
            return nil
        }
        let env = ProcessInfo.processInfo.environment
        let python = [env["TRELLIS_PYTHON"], "/work/venv/bin/python"].compactMap { $0 }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python ?? "/usr/bin/env")
        p.arguments = (python == nil ? ["python3"] : []) + [script.path, "--threads", "\(threads)", "--steps", "\(steps)"]
        p.environment = env.merging(BenchHeader.referenceEnvironment) { _, forced in forced }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { print("torch reference: cannot run python (\(error))"); return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
               let s = obj["seconds_per_step"] as? Double { return s }
        }
        print("torch reference: no figure (python exit status \(p.terminationStatus))")
        return nil
    }
}
