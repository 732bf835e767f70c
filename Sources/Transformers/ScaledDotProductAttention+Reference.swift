import Foundation

extension ScaledDotProductAttention {
    /// Scalar reference of `compute` (Double accumulation, one (sequence, head, query) at a time), kept
    /// beside the batched-GEMM version so tests can hold them together.
    public static func reference(q: HeadView, k: HeadView, v: HeadView, out: HeadView,
                                 batch: Int, queries tq: Int, keyCount: [Int], heads: Int, kvHeads: Int,
                                 headDim d: Int, scale: Float, mask: AttentionMask) {
        let group = heads / kvHeads
        for b in 0..<batch {
            let tk = keyCount[b]
            for h in 0..<heads {
                let hk = h / group
                for i in 0..<tq {
                    let qi = q.at(b, i, h)
                    var scores = [Double](repeating: -.infinity, count: tk)
                    let p = mask.queryStart[b] + i
                    let open = mask.openPaddedQueries && mask.keyValid.map { $0[b * mask.keyStride + p] == 0 } == true
                    for j in 0..<tk {
                        var s = 0.0
                        let kj = k.at(b, j, hk)
                        for x in 0..<d { s += Double(qi[x]) * Double(kj[x]) }
                        s *= Double(scale)
                        if let add = mask.additive {
                            scores[j] = s + Double(add[(b * tq + i) * mask.keyStride + j])
                        } else if open || mask.allows(batch: b, query: i, key: j) {
                            scores[j] = s
                        }
                    }
                    let m = scores.max() ?? -.infinity
                    var probs = [Double](repeating: 1 / Double(tk), count: tk)
                    if m > -.infinity {
                        let e = scores.map { exp($0 - m) }
                        let sum = e.reduce(0, +)
                        probs = e.map { $0 / sum }
                    }
                    let o = out.at(b, i, h)
                    for x in 0..<d {
                        var acc = 0.0
                        for j in 0..<tk { acc += probs[j] * Double(v.at(b, j, hk)[x]) }
                        o[x] = Float(acc)
                    }
                }
            }
        }
    }
}
