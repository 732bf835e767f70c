#if arch(x86_64)
import CKernelsBF16
#endif

// BF16 compute for `linear` on CPUs with AVX512_BF16: weights packed once in k-pairs (`PackedWeights.bf16Pairs`),
// activations rounded to bfloat16 (nearest even) once per call, every output one `vdpbf16ps` chain per K
// block of 256 k with F32 sums (the C target CKernelsBF16). The same kernel serves every row count, so a
// row's outputs do not depend on the batch it came in (batch-1 decoding included).

/// `linear` with BF16 k-pair weights: out `[m, N]` = bf16(x) `[m, K]` · Wᵀ + bias.
func linearBF16Pairs(_ x: UnsafePointer<Float>, rows m: Int, weights w: PackedWeights, bias: UnsafePointer<Float>?,
                     out: UnsafeMutablePointer<Float>) {
    #if arch(x86_64)
    let n = w.outFeatures, k = w.inFeatures, kp = (k + 1) / 2
    let block = ScratchPool.shared.take(bytes: m * kp * 4)
    defer { ScratchPool.shared.release(block.pointer, bytes: block.bytes) }
    let xb = block.pointer.bindMemory(to: UInt32.self, capacity: m * kp)  // [m, ceil(K/2)] bf16 pairs
    // Rounding runs at ~1 ns per value; split over threads only for large activations.
    Parallel.forEach(range: m, costPerItem: Double(k)) { r in
        trellis_bf16_round_rows(x + r.lowerBound * k, r.count, k, k, xb + r.lowerBound * kp, kp)
    }
    // Twice the F32 FMA rate, or the time to stream the weights (batch-1 decoding), whichever is longer.
    let threads = max(Parallel.usefulThreads(forWork: gemmWorkNanoseconds(m: m, n: n, k: k) / 2),
                      weightStreamingThreads(bytes: w.byteCount))
    let tiles = tilePlan(m: m, n: n, threads: threads)
    let weights = UnsafePointer(w.base.assumingMemoryBound(to: UInt32.self))
    Parallel.forEach(chunks: tiles.count) { t in
        let rows = tiles[t].rows, cols = tiles[t].cols
        trellis_bf16_linear_tile(xb, kp, rows.lowerBound, rows.upperBound, cols.lowerBound, cols.upperBound,
                                 weights, kp, bias, out, n)
    }
    #else
    preconditionFailure("BF16 k-pair weights exist only where CPU.hasAVX512BF16")
    #endif
}
