import Foundation

/// A strided view of per-head vectors: element (b, t, h, d) is at base + b·batchStride + t·rowStride + h·headStride + d.
public struct HeadView {
    public var base: UnsafeMutablePointer<Float>
    public var batchStride: Int
    public var rowStride: Int
    public var headStride: Int

    public init(base: UnsafeMutablePointer<Float>, batchStride: Int, rowStride: Int, headStride: Int) {
        self.base = base
        self.batchStride = batchStride
        self.rowStride = rowStride
        self.headStride = headStride
    }

    @inline(__always)
    func at(_ b: Int, _ t: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        base + b * batchStride + t * rowStride + h * headStride
    }
}

/// softmax(scale·QKᵀ + mask)·V for every (sequence, head), with grouped key/value heads
/// (query head h reads key/value head h / (heads / kvHeads)).
public enum ScaledDotProductAttention {
    /// - Parameters:
    ///   - keyCount: keys of each sequence (Tk, or the cache length after appending).
    ///   - probabilities: when given, receives the attention probabilities [B, heads, Tq, maxKeys].
    public static func compute(q: HeadView, k: HeadView, v: HeadView, out: HeadView,
                               batch: Int, queries tq: Int, keyCount: [Int], heads: Int, kvHeads: Int,
                               headDim d: Int, scale: Float, mask: AttentionMask,
                               probabilities: UnsafeMutablePointer<Float>? = nil) {
        let maxKeys = keyCount.max() ?? 0
        let group = heads / kvHeads
        Backend.parallelFor(batch * heads) { task in
            let b = task / heads, h = task % heads, hk = h / group
            let tk = keyCount[b]
            let scratch: UnsafeMutablePointer<Float>
            let owned: Bool
            if let probabilities {
                scratch = probabilities + (b * heads + h) * tq * maxKeys
                owned = false
            } else {
                scratch = .allocate(capacity: tq * max(tk, 1))
                owned = true
            }
            defer { if owned { scratch.deallocate() } }
            let ld = probabilities == nil ? tk : maxKeys
            if probabilities != nil { scratch.update(repeating: 0, count: tq * maxKeys) }
            // scores[Tq, Tk] = scale · Q_bh · K_bhᵀ
            Backend.gemm(transA: false, transB: true, m: tq, n: tk, k: d, alpha: scale,
                         a: q.at(b, 0, h), lda: q.rowStride, b: k.at(b, 0, hk), ldb: k.rowStride,
                         beta: 0, c: scratch, ldc: ld)
            for i in 0..<tq {
                maskedSoftmax(scratch + i * ld, count: tk, batch: b, query: i, queries: tq, mask: mask)
            }
            // out_bh[Tq, D] = P · V_bh
            Backend.gemm(transA: false, transB: false, m: tq, n: d, k: tk, alpha: 1,
                         a: scratch, lda: ld, b: v.at(b, 0, hk), ldb: v.rowStride,
                         beta: 0, c: out.at(b, 0, h), ldc: out.rowStride)
        }
    }

    /// In-place softmax of one score row over its visible keys; invisible keys get probability 0.
    @inline(__always)
    static func maskedSoftmax(_ row: UnsafeMutablePointer<Float>, count tk: Int, batch b: Int, query i: Int,
                              queries tq: Int, mask: AttentionMask) {
        var maxv = -Float.infinity
        if let add = mask.additive {
            let base = (b * tq + i) * mask.keyStride
            for j in 0..<tk {
                row[j] += add[base + j]
                maxv = max(maxv, row[j])
            }
        } else {
            for j in 0..<tk {
                if mask.allows(batch: b, query: i, key: j) {
                    maxv = max(maxv, row[j])
                } else {
                    row[j] = -.infinity
                }
            }
        }
        if maxv == -.infinity {
            // No visible key: torch's additive finfo.min mask yields a uniform row.
            let u = 1 / Float(max(tk, 1))
            for j in 0..<tk { row[j] = u }
            return
        }
        var sum: Float = 0
        for j in 0..<tk {
            let e = expf(row[j] - maxv)
            row[j] = e
            sum += e
        }
        let inv = 1 / sum
        for j in 0..<tk { row[j] *= inv }
    }
}
