import Foundation
import Tensors
import CLISupport

/// Optional sections of `trellis bench gemm`: attention-shaped batched GEMMs and DRAM-bound decoding.
extension GemmBench {
    /// Q·Kᵀ and P·V over 12 heads for head dims 16 and 64 and sequence lengths 128 and 512, and one
    /// decoding step (1 query against 512 or 2048 cached keys).
    static func attention(threads: [Int], rounds: Int, json: Bool) {
        if !json { print("\nattention (12 heads): batched GEMM GFLOP/s\n    T     S    D  thr   Q·Kᵀ    P·V") }
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for t in threads {
            Parallel.threadCount = t
            for (seq, keys, d) in [(128, 128, 16), (128, 128, 64), (512, 512, 16), (512, 512, 64), (1, 512, 64),
                                   (1, 2048, 64)] {
                let h = 12
                let q = [Float](repeating: 0.01, count: h * seq * d)
                let k = [Float](repeating: 0.01, count: h * keys * d), v = k
                var s = [Float](repeating: 0, count: h * seq * keys), o = [Float](repeating: 0, count: h * seq * d)
                let flops = 2.0 * Double(h * seq * keys * d)
                var qk = 0.0, pv = 0.0
                for _ in 0..<max(1, rounds) {
                    qk = max(qk, best(flops) {
                        gemmBatched(transposeA: false, transposeB: true, m: seq, n: keys, k: d, alpha: 0.125, a: q,
                                    lda: d, strideA: seq * d, b: k, ldb: d, strideB: keys * d, c: &s, ldc: keys,
                                    strideC: seq * keys, batchCount: h)
                    })
                    pv = max(pv, best(flops) {
                        gemmBatched(transposeA: false, transposeB: false, m: seq, n: d, k: keys, a: s, lda: keys,
                                    strideA: seq * keys, b: v, ldb: d, strideB: keys * d, c: &o, ldc: d,
                                    strideC: seq * d, batchCount: h)
                    })
                }
                if json {
                    print("{\"bench\":\"attention\",\"heads\":\(h),\"t\":\(seq),\"s\":\(keys),\"d\":\(d),\"threads\":\(t),"
                        + "\"qk_gflops\":\(fmt(qk)),\"pv_gflops\":\(fmt(pv))}")
                } else {
                    print("\(pad(seq, 5)) \(pad(keys, 5)) \(pad(d, 4)) \(pad(t, 4)) \(pad(fmt(qk), 6)) \(pad(fmt(pv), 6))")
                }
            }
        }
    }

    /// Batch-1 `linear` over 64 weight matrices of [3072, 768] (604 MB in F32, 302 MB in BF16), F32
    /// against BF16 panels: the memory-bound decoding case. Sized at ten times a 32 MB L3: with 16
    /// matrices (75 MB of BF16) a Zen 4's L3 still served part of every pass, and BF16 read 51 GB/s on
    /// two threads against 31–35 for a 1B-class model's 2.4 GB in the same minutes.
    static func decode(threads: [Int], rounds: Int, json: Bool) {
        let n = 3072, k = 768, layers = 64
        var state: UInt32 = 1
        let w = (0..<(n * k)).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) - 0.5
        }
        let f32 = (0..<layers).map { _ in PackedWeights(w, outFeatures: n, inFeatures: k) }
        let bf16 = (0..<layers).map { _ in PackedWeights(w, outFeatures: n, inFeatures: k, storage: .bf16) }
        let x = [Float](repeating: 0.5, count: k)
        var out = [Float](repeating: 0, count: n)
        if !json { print("\ndecode: M=1 linear over \(layers) × [\(n), \(k)] weights (out of cache)\nthr  f32 ms  f32 GB/s  bf16 ms  bf16 GB/s  speedup") }
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for t in threads {
            Parallel.threadCount = t
            var tf = Double.infinity, tb = Double.infinity
            for _ in 0..<max(1, rounds) {
                tf = min(tf, 1 / best(1) { for l in f32 { linear(x, rows: 1, weights: l, bias: nil, out: &out) } })
                tb = min(tb, 1 / best(1) { for l in bf16 { linear(x, rows: 1, weights: l, bias: nil, out: &out) } })
            }
            // `best` returns flops per ns; with flops = 1 its inverse is nanoseconds.
            let bytesF = Double(layers * n * k * 4), bytesB = bytesF / 2
            if json {
                print("{\"bench\":\"decode\",\"threads\":\(t),\"f32_ms\":\(fmt(tf / 1e6, 3)),\"bf16_ms\":\(fmt(tb / 1e6, 3)),"
                    + "\"speedup\":\(fmt(tf / tb, 2))}")
            } else {
                print("\(pad(t, 3)) \(pad(fmt(tf / 1e6, 2), 7)) \(pad(fmt(bytesF / tf, 1), 9)) \(pad(fmt(tb / 1e6, 2), 8)) "
                    + "\(pad(fmt(bytesB / tb, 1), 10)) \(pad(fmt(tf / tb, 2) + "×", 8))")
            }
        }
    }
}
