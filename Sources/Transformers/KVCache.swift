import Foundation

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
    /// Per layer [B, capacity, kvHeads·headDim].
    let keys: [FloatBuffer]
    /// Per layer [B, capacity, kvHeads·headDim].
    let values: [FloatBuffer]
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
        let size = batch * capacity * kvHeads * headDim
        keys = (0..<layers).map { _ in FloatBuffer(size) }
        values = (0..<layers).map { _ in FloatBuffer(size) }
        lengths = Array(repeating: 0, count: batch)
        nextPosition = Array(repeating: 0, count: batch)
        nextBlockPosition = Array(repeating: 0, count: batch)
    }

    /// Forgets every sequence (the buffers are reused).
    public func reset() {
        for b in 0..<batch { lengths[b] = 0; nextPosition[b] = 0; nextBlockPosition[b] = 0 }
    }

    var rowWidth: Int { kvHeads * headDim }

    func keyView(layer: Int) -> HeadView {
        HeadView(base: keys[layer].pointer, batchStride: capacity * rowWidth, rowStride: rowWidth, headStride: headDim)
    }

    func valueView(layer: Int) -> HeadView {
        HeadView(base: values[layer].pointer, batchStride: capacity * rowWidth, rowStride: rowWidth, headStride: headDim)
    }

    /// Copies the new keys/values of `queries` tokens per sequence (strided views) to rows start[b]… of the cache.
    func store(layer: Int, k: HeadView, v: HeadView, batch: Int, queries: Int, start: [Int]) {
        let kd = keyView(layer: layer), vd = valueView(layer: layer)
        for b in 0..<batch {
            for i in 0..<queries {
                for h in 0..<kvHeads {
                    kd.at(b, start[b] + i, h).update(from: k.at(b, i, h), count: headDim)
                    vd.at(b, start[b] + i, h).update(from: v.at(b, i, h), count: headDim)
                }
            }
        }
    }
}
