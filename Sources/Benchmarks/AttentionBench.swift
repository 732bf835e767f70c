import Foundation
import Tensors
import Transformers
import CLISupport

/// `trellis bench attention`: self-attention alone at ESM-2 head layouts and lengths up to 1022, the fused
/// online-softmax kernel next to the explicit-probability path (the one contacts use) and torch in the same run
/// (scripts/bench/torch_attention.py: SDPA and eager).
enum AttentionBench {
    static let name = "attention"
    static let summary = "fused attention vs the explicit-probability path vs torch SDPA/eager, ESM-2 head layouts, L ≤ 1022"

    struct Shape {
        var batch: Int, length: Int, heads: Int, dim: Int
        var text: String { "\(batch),\(length),\(heads),\(dim)" }
    }

    static func run(_ args: inout Arguments) throws {
        let noReference = args.flag("no-reference")
        let threads = try args.option("threads", default: Parallel.threadCount)
        let reps = try args.option("reps", default: 3)
        let shapeText = try args.option("shapes", default: "1,128,20,64;1,512,20,64;1,1022,20,64;4,1022,20,64;8,512,20,24;1,1022,20,24")
        try args.finish()
        setvbuf(stdout, nil, _IOLBF, 0)
        Parallel.threadCount = max(1, threads)
        var shapes: [Shape] = []
        for item in shapeText.split(separator: ";") {
            let f = item.split(separator: ",").compactMap { Int($0) }
            guard f.count == 4, f.allSatisfy({ $0 > 0 }) else { throw ArgumentError.badValue("--shapes", String(item)) }
            shapes.append(Shape(batch: f[0], length: f[1], heads: f[2], dim: f[3]))
        }
        BenchHeader.print("attention")
        print("best of \(reps); [B, L, 3·heads·D] fused projection in, [B, L, heads·D] out, all keys real")
        let torch = noReference ? [:] : torchTimes(shapes, threads: Parallel.threadCount, reps: reps)
        print("| B | L | heads×D | fused s | explicit s | torch SDPA s | torch eager s | fused/SDPA | fused/explicit |")
        print("|---|---|---|---|---|---|---|---|---|")
        for s in shapes {
            let (fused, explicit) = time(s, reps: reps)
            let t = torch[s.text]
            let sdpa = t.map { String(format: "%.4f", $0.0) } ?? "–"
            let eager = t.map { String(format: "%.4f", $0.1) } ?? "–"
            let ratio = t.map { String(format: "%.2f×", $0.0 / fused) } ?? "–"
            print("| \(s.batch) | \(s.length) | \(s.heads)×\(s.dim) | \(String(format: "%.4f", fused)) | "
                  + "\(String(format: "%.4f", explicit)) | \(sdpa) | \(eager) | \(ratio) | "
                  + "\(String(format: "%.2f×", explicit / fused)) |")
        }
    }

    /// Best seconds of the fused path and of the explicit path (probabilities handed to a sink that drops them).
    static func time(_ s: Shape, reps: Int) -> (Double, Double) {
        let h = s.heads * s.dim, n = s.batch * s.length
        var rng = SeededRandom(seed: 1)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: n * 3 * h)                  // [B, L, 3H]
        let out = UnsafeMutablePointer<Float>.allocate(capacity: n * h)                      // [B, L, H]
        defer { qkv.deallocate(); out.deallocate() }
        for i in 0..<(n * 3 * h) { qkv[i] = Float(rng.nextUnit()) * 2 - 1 }
        func view(_ p: UnsafeMutablePointer<Float>, _ width: Int) -> HeadView {
            HeadView(base: p, batchStride: s.length * width, rowStride: width, headStride: s.dim)
        }
        let mask = AttentionMask.forward(pattern: .bidirectional, attentionMask: Array(repeating: 1, count: n),
                                         batch: s.batch, length: s.length)
        var room = 0
        var buffer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        defer { buffer.deallocate() }
        let workspace: (Int) -> UnsafeMutablePointer<Float> = { count in
            if room < count {
                buffer.deallocate()
                buffer = .allocate(capacity: count)
                buffer.initialize(repeating: 0, count: count)
                room = count
            }
            return buffer
        }
        func once(_ sink: AttentionProbabilitySink?) {
            ScaledDotProductAttention.compute(
                q: view(qkv, 3 * h), k: view(qkv + h, 3 * h), v: view(qkv + 2 * h, 3 * h), out: view(out, h),
                batch: s.batch, queries: s.length, keyCount: Array(repeating: s.length, count: s.batch),
                heads: s.heads, kvHeads: s.heads, headDim: s.dim, scale: 1 / Float(s.dim).squareRoot(), mask: mask,
                probabilities: sink, workspace: workspace)
        }
        let fused = (try? ModelBench.best(warmup: 1, reps: reps) { once(nil) }) ?? .nan
        let explicit = (try? ModelBench.best(warmup: 1, reps: reps) { once { _, _, _ in } }) ?? .nan
        return (fused, explicit)
    }

    /// (SDPA seconds, eager seconds) per shape from scripts/bench/torch_attention.py; empty without torch.
    static func torchTimes(_ shapes: [Shape], threads: Int, reps: Int) -> [String: (Double, Double)] {
        guard let script = ReferenceScript("torch_attention.py") else {
            print("torch reference: scripts/bench/torch_attention.py not found (run from the repository root)")
            return [:]
        }
        let arguments = ["--threads", "\(threads)", "--reps", "\(reps)", "--shapes", shapes.map(\.text).joined(separator: ";")]
        guard let r = try? script.run(arguments) else {
            print("torch reference: cannot run \(script.interpreter)")
            return [:]
        }
        var times: [String: (Double, Double)] = [:]
        for o in r.jsonLines {
            guard let b = o["batch"] as? Int, let l = o["length"] as? Int, let hd = o["heads"] as? Int,
                  let d = o["dim"] as? Int, let sd = o["sdpa_seconds"] as? Double,
                  let ea = o["eager_seconds"] as? Double else { continue }
            times["\(b),\(l),\(hd),\(d)"] = (sd, ea)
        }
        if times.isEmpty { print("torch reference: no figures (python exit status \(r.status))") }
        return times
    }
}
