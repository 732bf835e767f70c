import Foundation
import Tensors

extension ScaledDotProductAttention {
    /// The explicit path, for callers that need the probabilities (ESM contacts): per sequence one batched
    /// GEMM over heads for the scores [heads, Tq, Tk], a masked softmax per row, one batched GEMM for P·V
    /// into the [T, heads·D] context; the sink sees each sequence's probabilities in between.
    static func explicit(q: HeadView, k: HeadView, v: HeadView, out: HeadView, batch: Int, queries tq: Int,
                         keyCount: [Int], heads: Int, kvHeads: Int, headDim d: Int, scale: Float, mask: AttentionMask,
                         sink: AttentionProbabilitySink, workspace: ((Int) -> UnsafeMutablePointer<Float>)?) {
        let maxKeys = keyCount.max() ?? 0
        let group = heads / kvHeads
        let owned = workspace == nil ? FloatBuffer(heads * tq * maxKeys) : nil
        let scores = workspace?(heads * tq * maxKeys) ?? owned!.pointer                 // [heads, Tq, maxKeys]
        let rowMask = FloatBuffer(maxKeys)                                                // [Tk] 0 / −∞
        for b in 0..<batch {
            let tk = keyCount[b], ld = maxKeys
            // scores[h] = scale · Q_bh · K_bhᵀ
            Profiler.time(.attentionScores) {
                if group == 1 {
                    gemmBatched(transposeA: false, transposeB: true, m: tq, n: tk, k: d, alpha: scale,
                                a: q.at(b, 0, 0), lda: q.rowStride, strideA: q.headStride,
                                b: k.at(b, 0, 0), ldb: k.rowStride, strideB: k.headStride,
                                c: scores, ldc: ld, strideC: tq * ld, batchCount: heads)
                } else {
                    for hk in 0..<kvHeads {
                        gemmBatched(transposeA: false, transposeB: true, m: tq, n: tk, k: d, alpha: scale,
                                    a: q.at(b, 0, hk * group), lda: q.rowStride, strideA: q.headStride,
                                    b: k.at(b, 0, hk), ldb: k.rowStride, strideB: 0,
                                    c: scores + hk * group * tq * ld, ldc: ld, strideC: tq * ld, batchCount: group)
                    }
                }
            }
            Profiler.time(.softmax) {
                let keyMask = prepareKeyBias(rowMask.pointer, mask: mask, batch: b, keys: tk).padded > 0
                    ? UnsafePointer(rowMask.pointer) : nil
                Parallel.forEach(range: heads * tq, costPerItem: Double(tk) * 2) { rows in
                    for r in rows {
                        maskedSoftmax(scores + r * ld, keys: tk, stride: ld, batch: b, query: r % tq, queries: tq,
                                      mask: mask, keyMask: keyMask)
                    }
                }
            }
            // context_bh[Tq, D] = P · V_bh
            Profiler.time(.attentionValues) {
                if group == 1 {
                    gemmBatched(transposeA: false, transposeB: false, m: tq, n: d, k: tk, alpha: 1,
                                a: scores, lda: ld, strideA: tq * ld,
                                b: v.at(b, 0, 0), ldb: v.rowStride, strideB: v.headStride,
                                c: out.at(b, 0, 0), ldc: out.rowStride, strideC: out.headStride, batchCount: heads)
                } else {
                    for hk in 0..<kvHeads {
                        gemmBatched(transposeA: false, transposeB: false, m: tq, n: d, k: tk, alpha: 1,
                                    a: scores + hk * group * tq * ld, lda: ld, strideA: tq * ld,
                                    b: v.at(b, 0, hk), ldb: v.rowStride, strideB: 0,
                                    c: out.at(b, 0, hk * group), ldc: out.rowStride, strideC: out.headStride,
                                    batchCount: group)
                    }
                }
            }
            sink(b, scores, ld)
        }
    }

    /// One score row → probabilities. Keys past the pattern's limit (causal / prefix) get 0; the key-padding
    /// row mask or the explicit additive mask applies below it. A row with no visible key becomes uniform,
    /// as torch's additive `finfo.min` mask makes it.
    @inline(__always)
    static func maskedSoftmax(_ row: UnsafeMutablePointer<Float>, keys tk: Int, stride ld: Int, batch b: Int,
                              query i: Int, queries tq: Int, mask: AttentionMask, keyMask: UnsafePointer<Float>?) {
        var limit = tk
        var additive: UnsafePointer<Float>? = keyMask
        let p = mask.queryStart[b] + i
        let openRow = mask.openPaddedQueries && mask.keyValid.map { $0[b * mask.keyStride + p] == 0 } == true
        if let add = mask.additive {
            additive = add.withUnsafeBufferPointer { $0.baseAddress! + (b * tq + i) * mask.keyStride }
        } else if openRow {
            additive = nil
        } else {
            switch mask.pattern {
            case .bidirectional: break
            case .causal: limit = min(tk, p + 1)
            case .prefix(let sep): limit = min(tk, max(sep[b], p + 1))
            }
        }
        Kernels.softmax(row, rows: 1, cols: limit, mask: additive, maskRowStride: 0)
        if limit < tk { (row + limit).update(repeating: 0, count: tk - limit) }
        if row[0] == 0 {
            // Either a real zero probability or an empty row (the kernel returns all zeros then).
            var sum: Float = 0
            for j in 0..<limit { sum += row[j] }
            if sum == 0 {
                let u = 1 / Float(tk)
                for j in 0..<tk { row[j] = u }
            }
        }
    }
}
