import Foundation
import Tensors

/// ESM contact prediction: attention maps of every layer and head → zero padding and `<eos>` rows/columns →
/// drop the last and the first (BOS) row/column → symmetrise → average product correction → logistic regression.
struct EsmContactHead {
    /// [layers · heads], channel = layer · heads + head.
    let weight: [Float]
    let bias: Float
    let eosTokenId: Int32

    /// Σ_c w_c · APC(sym(F_c)) of a batch, fed one (layer, sequence) at a time as the layers run, so only one
    /// sequence's maps of one layer exist at once: [heads, T, T], not [layers, B, heads, T, T].
    final class Accumulator {
        let head: EsmContactHead
        let batch: Int, heads: Int, length: Int, size: Int
        let keep: [Float]                                   // [B, T] 1 = row/column survives padding and eos masks
        let acc: UnsafeMutablePointer<Double>               // [B, S, S]
        let maps: UnsafeMutablePointer<Float>               // [heads, S, S] one layer's cropped, symmetrised maps
        let sums: UnsafeMutablePointer<Float>               // [heads, S] row sums (= column sums)
        var totals: [Float]                                 // [heads]

        init(head: EsmContactHead, batch: Int, heads: Int, length t: Int, tokens: [Int32], attentionMask: [Int32]) {
            self.head = head
            self.batch = batch
            self.heads = heads
            length = t
            size = max(t - 2, 0)
            keep = (0..<(batch * t)).map { attentionMask[$0] != 0 && tokens[$0] != head.eosTokenId ? 1 : 0 }
            acc = .allocate(capacity: max(batch * size * size, 1))
            acc.initialize(repeating: 0, count: max(batch * size * size, 1))
            maps = .allocate(capacity: max(heads * size * size, 1))
            sums = .allocate(capacity: max(heads * size, 1))
            totals = Array(repeating: 0, count: heads)
        }

        deinit {
            acc.deallocate()
            maps.deallocate()
            sums.deallocate()
        }

        /// Adds the channels of `layer` for sequence b from its probabilities [heads, T, rowStride].
        func add(layer: Int, sequence b: Int, probabilities a: UnsafePointer<Float>, rowStride ld: Int) {
            let s = size, t = length
            guard s > 0 else { return }
            let k = keep.withUnsafeBufferPointer { $0.baseAddress! + b * t }
            Parallel.forEach(range: heads, costPerItem: Double(3 * s * s)) { hs in
                for h in hs {
                    let f = maps + h * s * s, p = a + h * t * ld
                    // Crop to tokens 1…T−2 and mask.
                    for i in 0..<s {
                        for j in 0..<s { f[i * s + j] = p[(i + 1) * ld + (j + 1)] * k[i + 1] * k[j + 1] }
                    }
                    // Symmetrise F + Fᵀ.
                    for i in 0..<s {
                        for j in i..<s {
                            let v = f[i * s + j] + f[j * s + i]
                            f[i * s + j] = v
                            f[j * s + i] = v
                        }
                    }
                    // Column sums, each summed down the rows in order; F is symmetric, so they are the row sums.
                    let sum = sums + h * s
                    sum.update(repeating: 0, count: s)
                    for i in 0..<s {
                        let row = f + i * s
                        var j = 0
                        while j + 8 <= s {
                            let c = UnsafeRawPointer(sum + j).loadUnaligned(as: SIMD8<Float>.self)
                                + UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(sum + j).storeBytes(of: c, as: SIMD8<Float>.self)
                            j += 8
                        }
                        while j < s { sum[j] += row[j]; j += 1 }
                    }
                }
            }
            for h in 0..<heads {
                var total: Float = 0
                for i in 0..<s { total += sums[h * s + i] }
                totals[h] = total
            }
            // APC: F − (rowsum · colsum) / total, weighted into the accumulator channel by channel.
            let dst = acc + b * s * s
            totals.withUnsafeBufferPointer { tot in
                Parallel.forEach(range: s, costPerItem: Double(heads * s) * 2) { rows in
                    for h in 0..<heads {
                        let f = maps + h * s * s, sum = sums + h * s, total = tot[h]
                        let w = Double(head.weight[layer * heads + h])
                        for i in rows {
                            for j in 0..<s {
                                let corrected = f[i * s + j] - sum[i] * sum[j] / total
                                dst[i * s + j] += w * Double(corrected)
                            }
                        }
                    }
                }
            }
        }

        /// [B, T−2, T−2] contact probabilities: σ(accumulated + bias).
        func result() -> [Float] {
            guard size > 0 else { return [] }
            let n = batch * size * size
            return (0..<n).map { 1 / (1 + expf(-(Float(acc[$0]) + head.bias))) }
        }
    }
}
