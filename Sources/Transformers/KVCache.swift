import Foundation
import Tensors

/// Keys and values of every layer for a batch of sequences being decoded, plus where each sequence stands.
///
/// Sequence b holds `lengths[b]` tokens; the next token is written at index `lengths[b]` and attends to
/// keys 0…lengths[b]. Sequences of a batch may have different lengths (no left padding needed).
public final class KVCache {
    public let batch: Int
    /// Tokens each sequence can hold.
    public let capacity: Int
    public let layers: Int
    public let kvHeads: Int
    public let headDim: Int
    /// Per layer, Kᵀ of each (sequence, key/value head) in the fused attention kernel's key blocks, so a
    /// decoding step appends one column instead of re-packing every cached key.   // [B, kvHeads, blocks, D, 64]
    let keys: [FloatBuffer]
    /// Per layer, the values of each (sequence, key/value head) contiguous.          // [B, kvHeads, capacity, D]
    let values: [FloatBuffer]
    /// Floats per (sequence, head) in `keys` and in `values`.
    let keyStride: Int
    let valueStride: Int
    /// Tokens held per sequence.
    public internal(set) var lengths: [Int]
    /// Position id (and block position id for 2-D RoPE) the next token of each sequence gets.
    public internal(set) var nextPosition: [Int32]
    public internal(set) var nextBlockPosition: [Int32]

    public init(batch: Int, capacity: Int, layers: Int, kvHeads: Int, headDim: Int) {
        self.batch = batch
        self.capacity = capacity
        self.layers = layers
        self.kvHeads = kvHeads
        self.headDim = headDim
        let keyStride = FlashAttention.packedKeysCount(keys: capacity, dim: headDim), valueStride = capacity * headDim
        self.keyStride = keyStride
        self.valueStride = valueStride
        keys = (0..<layers).map { _ in FloatBuffer(batch * kvHeads * keyStride) }
        values = (0..<layers).map { _ in FloatBuffer(batch * kvHeads * valueStride) }
        lengths = Array(repeating: 0, count: batch)
        nextPosition = Array(repeating: 0, count: batch)
        nextBlockPosition = Array(repeating: 0, count: batch)
    }

    /// Forgets every sequence (the buffers are reused).
    public func reset() {
        for b in 0..<batch { lengths[b] = 0; nextPosition[b] = 0; nextBlockPosition[b] = 0 }
    }

    /// Layer `layer`'s keys and values as the attention kernel reads them.
    func packed(layer: Int) -> ScaledDotProductAttention.PackedKeys {
        ScaledDotProductAttention.PackedKeys(kT: keys[layer].pointer, keyStride: keyStride,
                                             v: values[layer].pointer, valueStride: valueStride)
    }

    /// Writes the new keys/values of `queries` tokens per sequence (strided views) at tokens start[b]… of the
    /// cache: key x of token t goes to row x, column t mod 64 of key block t / 64.
    func store(layer: Int, k: HeadView, v: HeadView, batch: Int, queries: Int, start: [Int]) {
        let block = FlashAttention.keyBlock
        for b in 0..<batch {
            for h in 0..<kvHeads {
                let item = b * kvHeads + h
                let kT = keys[layer].pointer + item * keyStride, vs = values[layer].pointer + item * valueStride
                for i in 0..<queries {
                    let t = start[b] + i
                    let src = k.at(b, i, h), column = kT + (t / block) * headDim * block + t % block
                    for x in 0..<headDim { column[x * block] = src[x] }
                    (vs + t * headDim).update(from: v.at(b, i, h), count: headDim)
                }
            }
        }
    }
}
