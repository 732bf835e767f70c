import Foundation
import CLISupport
import DataIO
import ProteinLM
import Tensors
import Transformers

/// `trellis bench train --model pglm-tiny`: the training step of the shipped protein model (5 pre-LN layers,
/// hidden 128, 4 heads, GeGLU 384, 2-D RoPE) on the real batches of `protein.pretrain` (length-sorted corpus
/// runs, MLM + GLM), timed by wall clock and by process CPU time, with a per-operation profile; torch runs the
/// same layers on the same batch shapes and masks in the same run (scripts/bench/torch_train_pglm.py).
extension TrainBench {
    /// `reference`: the Python interpreter for torch ("" for the default), nil to skip it.
    /// `layers`/`hidden`: the shape timed (heads of 32, GeGLU width 3·hidden, as pglm-tiny's 5×128).
    static func runPGLM(fasta: String, steps: Int, tokensPerBatch: Int, layers: Int, hidden: Int, profile: Bool, json: Bool,
                        reference: String?) throws {
        var sequences: [[Int32]] = []
        try FASTAReader(path: fasta).forEach { sequences.append(PretrainData.encode($0.sequence)) }
        var o = PretrainOptions()
        guard layers > 0, hidden >= 32, hidden % 32 == 0 else {
            throw ArgumentError.problem("--layers/--hidden", "need layers ≥ 1 and hidden a positive multiple of 32 (heads of 32)")
        }
        (o.layers, o.hidden, o.heads, o.ffn, o.context) = (layers, hidden, hidden / 32, 3 * hidden, 256)
        o.preLN = true; o.tokensPerBatch = tokensPerBatch; o.seed = 1
        let trainer = try PretrainTrainer(data: PretrainData(sequences: sequences, heldOutFraction: 0.01), options: o)
        let model = trainer.model
        let opt = AdamW(count: model.parameters.count)
        BenchHeader.print("train", json: json)
        if !json {
            print("pglm \(layers)×\(hidden) pre-LN (\(model.parameters.count) parameters), \(hidden / 32) heads, GeGLU \(3 * hidden), 2-D RoPE; batches of ≤ \(tokensPerBatch) padded tokens "
                  + "from \(fasta) (\(sequences.count) proteins); threads \(Parallel.threadCount)")
        }
        // Phases: building the batch, forward + loss + backward, clip, AdamW.
        var phase = [Double](repeating: 0, count: 4)
        var tokens = 0, padded = 0
        var shapes: [[String: Any]] = []   // the timed batches, for the torch reference
        func step(_ s: Int) {
            var t0 = DispatchTime.now().uptimeNanoseconds
            func lap(_ i: Int) {
                let t1 = DispatchTime.now().uptimeNanoseconds
                phase[i] += Double(t1 - t0) / 1e9
                t0 = t1
            }
            let b = trainer.batch(step: s, micro: 0)
            tokens += b.mask.lengths.reduce(0, +); padded += b.batch * b.length
            shapes.append(["batch": b.batch, "length": b.length, "lengths": b.mask.lengths, "prefixes": b.mask.prefixes,
                           "selected": b.selected.count])
            lap(0)
            model.parameters.zeroGradients()
            model.trainStep(b)
            lap(1)
            model.parameters.clipGradients(maxNorm: 1)
            lap(2)
            opt.update(model.parameters, lr: 1e-4)
            lap(3)
        }
        step(0)   // warm-up (buffers, panels)
        phase = [0, 0, 0, 0]; tokens = 0; padded = 0; shapes = []
        let session = profile ? ProfileSession() : nil
        let cpu0 = processCPUSeconds(), wall0 = DispatchTime.now().uptimeNanoseconds
        for s in 1...max(1, steps) { step(s) }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e9, cpu = processCPUSeconds() - cpu0
        let report = session?.finish()
        let torchPython = layers == 5 && hidden == 128 ? reference : nil   // the torch script has this shape only
        let torch = try torchPython.flatMap { try torchPGLM(shapes: shapes, python: $0.isEmpty ? nil : $0, quiet: json) }
        if json {
            print(try BenchJSON.line(["bench": "train", "model": "pglm-tiny", "layers": layers, "hidden": hidden,
                                      "parameters": model.parameters.count, "threads": Parallel.threadCount,
                                      "steps": steps, "tokens": tokens, "padded_tokens": padded,
                                      "wall_seconds": wall, "cpu_seconds": cpu,
                                      "tokens_per_second": Double(tokens) / wall,
                                      "tokens_per_cpu_second": Double(tokens) / cpu,
                                      "torch_wall_seconds": torch?.wall ?? NSNull(), "torch_cpu_seconds": torch?.cpu ?? NSNull()]))
            return
        }
        print(String(format: "  %d steps, %d tokens (%d padded): %.2f s wall, %.2f s CPU", steps, tokens, padded, wall, cpu))
        print(String(format: "  trellis  %9.1f tok/s (wall)   %9.1f tok per CPU-second", Double(tokens) / wall, Double(tokens) / cpu))
        if let torch {
            print(String(format: "  torch    %9.1f tok/s (wall)   %9.1f tok per CPU-second  (%.2f s wall, %.2f s CPU)",
                         Double(tokens) / torch.wall, Double(tokens) / torch.cpu, torch.wall, torch.cpu))
            print(String(format: "  ratio trellis/torch per CPU-second: %.2f", torch.cpu / cpu))
        }
        let names = ["batch", "forward+backward", "clip", "AdamW"]
        for (n, t) in zip(names, phase) {
            print("    " + n.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: "%7.3f s  %5.1f %%", t, 100 * t / wall))
        }
        if let report { print(report.table()) }
    }

    /// Wall and CPU seconds of torch on the same batch shapes, nil when python/torch is unavailable.
    static func torchPGLM(shapes: [[String: Any]], python: String?, quiet: Bool) throws -> (wall: Double, cpu: Double)? {
        guard let script = ReferenceScript("torch_train_pglm.py", python: python) else {
            if !quiet { print("torch reference: scripts/bench/torch_train_pglm.py not found (run from the repository root)") }
            return nil
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-pglm-batches-\(getpid()).json")
        try JSONSerialization.data(withJSONObject: shapes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let r: ReferenceScript.Output
        do { r = try script.run(["--threads", "\(Parallel.threadCount)", "--batches", file.path]) } catch {
            if !quiet { print("torch reference: cannot run \(script.interpreter) (\(error))") }
            return nil
        }
        if let line = r.jsonLines.first, let w = line["wall_seconds"] as? Double, let c = line["cpu_seconds"] as? Double {
            return (w, c)
        }
        if !quiet { print("torch reference: no figure (python exit status \(r.status))") }
        return nil
    }
}
