import Foundation

/// ESM contact prediction: attention maps of every layer and head → zero padding and `<eos>` rows/columns →
/// drop the last and the first (BOS) row/column → symmetrise → average product correction → logistic regression.
struct EsmContactHead {
    /// [layers · heads], channel = layer · heads + head.
    let weight: [Float]
    let bias: Float
    let eosTokenId: Int32

    /// - Parameter probabilities: per layer [B, heads, T, T] attention probabilities.
    /// - Returns: [B, T−2, T−2] contact probabilities.
    func predict(probabilities: [UnsafeMutablePointer<Float>], batch: Int, heads: Int, length t: Int,
                 tokens: [Int32], attentionMask: [Int32]) -> [Float] {
        let s = max(t - 2, 0)
        let result = FloatBuffer(batch * s * s)                  // [B, S, S]
        guard s > 0 else { return [] }
        let channels = probabilities.count * heads
        Backend.parallelFor(batch) { b in
            // keep[i]: row/column i survives the padding and eos masks.
            let keep = (0..<t).map { i -> Float in
                attentionMask[b * t + i] != 0 && tokens[b * t + i] != eosTokenId ? 1 : 0
            }
            var f = [Float](repeating: 0, count: s * s)          // [S, S] one channel
            var acc = [Double](repeating: 0, count: s * s)       // [S, S] Σ_c w_c · APC(sym(F_c))
            var rowSum = [Float](repeating: 0, count: s), colSum = [Float](repeating: 0, count: s)
            for c in 0..<channels {
                let layer = c / heads, head = c % heads
                let a = probabilities[layer] + (b * heads + head) * t * t
                // Crop to tokens 1…T−2 and mask.
                for i in 0..<s {
                    for j in 0..<s {
                        f[i * s + j] = a[(i + 1) * t + (j + 1)] * keep[i + 1] * keep[j + 1]
                    }
                }
                // Symmetrise F + Fᵀ.
                for i in 0..<s {
                    for j in i..<s {
                        let v = f[i * s + j] + f[j * s + i]
                        f[i * s + j] = v
                        f[j * s + i] = v
                    }
                }
                // APC: F − (rowsum · colsum) / total.
                var total: Float = 0
                for i in 0..<s { rowSum[i] = 0; colSum[i] = 0 }
                for i in 0..<s {
                    for j in 0..<s {
                        rowSum[i] += f[i * s + j]
                        colSum[j] += f[i * s + j]
                    }
                }
                for i in 0..<s { total += rowSum[i] }
                let w = Double(weight[c])
                for i in 0..<s {
                    for j in 0..<s {
                        let corrected = f[i * s + j] - rowSum[i] * colSum[j] / total
                        acc[i * s + j] += w * Double(corrected)
                    }
                }
            }
            for i in 0..<(s * s) {
                result.pointer[b * s * s + i] = 1 / (1 + expf(-(Float(acc[i]) + bias)))
            }
        }
        return result.array
    }
}
