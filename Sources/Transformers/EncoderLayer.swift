import Foundation

// One layer of the Hugging Face encoders: BERT / RoBERTa normalise after each residual (post-LN), ESM-2
// before each half (pre-LN) and rotates queries and keys; everything else is the same computation.

/// Self-attention with fused QKV: x += Wo·attn(Wq·y, Wk·y, Wv·y), y = LN(x) when pre-LN (ESM, with RoPE on
/// q and k) or y = x followed by x = LN(x) when post-LN (BERT).
final class EncoderAttention {
    /// qkv [3H, H]: rows of query, then key, then value; output [H, H].
    let qkv, output: Linear
    let norm: LayerNorm
    let preNorm: Bool
    let heads, headDim: Int
    let rotary: Rotary?

    init(_ w: WeightLoader, names n: EncoderLayerNames, hidden h: Int, heads: Int, eps: Float, rotary: Bool) {
        self.heads = heads
        headDim = h / heads
        preNorm = n.preNorm
        norm = w.layerNorm(n.attentionNorm, dim: h, eps: eps)
        qkv = fusedLinear(w, [n.query, n.key, n.value], out: h, in: h)
        output = w.linear(n.attentionOutput, out: h, in: h)
        self.rotary = rotary ? Rotary(dim: headDim) : nil
    }

    /// x: [B, T, H] updated in place, or [N, H] when `packed` (the real tokens end to end, `positions` [N]);
    /// `positions` [B·T] drive the rotary models; scratch sized by the caller.
    func callAsFunction(_ x: UnsafeMutablePointer<Float>, batch: Int, length: Int, positions: UnsafePointer<Int32>? = nil,
                        mask: AttentionMask, packed: PackedRows? = nil, scratch s: EncoderScratch,
                        probabilities: AttentionProbabilitySink? = nil) {
        let n = packed?.rows ?? batch * length, h = heads * headDim
        if preNorm { norm(x, rows: n, out: s.normed.pointer) }
        qkv(preNorm ? s.normed.pointer : x, rows: n, out: s.qkv.pointer)          // [B, T, 3H] or [N, 3H]
        let q = s.qkv.pointer, k = q + h, v = q + 2 * h
        if let rotary, let positions {
            rotary.apply(q, rows: n, rowStride: 3 * h, heads: heads, headStride: headDim, offset: 0, positions: positions)
            rotary.apply(k, rows: n, rowStride: 3 * h, heads: heads, headStride: headDim, offset: 0, positions: positions)
        }
        func view(_ p: UnsafeMutablePointer<Float>) -> HeadView {
            HeadView(base: p, batchStride: length * 3 * h, rowStride: 3 * h, headStride: headDim, firstRows: packed?.firstRows)
        }
        let out = HeadView(base: s.context.pointer, batchStride: length * h, rowStride: h, headStride: headDim,
                           firstRows: packed?.firstRows)
        // Packed sequences have no padded key left to mask: each sees exactly its own rows.
        ScaledDotProductAttention.compute(
            q: view(q), k: view(k), v: view(v), out: out, batch: batch, queries: length, queryCount: packed?.counts,
            keyCount: packed?.counts ?? Array(repeating: length, count: batch), heads: heads, kvHeads: heads,
            headDim: headDim, scale: 1 / Float(headDim).squareRoot(),
            mask: packed == nil ? mask : AttentionMask(pattern: .bidirectional, keyValid: nil, keyStride: length,
                                                       queryStart: Array(repeating: 0, count: batch)),
            probabilities: probabilities, workspace: s.workspace)
        output(s.context.pointer, rows: n, out: s.normed.pointer)
        addInPlace(x, s.normed.pointer, count: n * h)
        if !preNorm { norm(x, rows: n, out: x) }
    }
}

/// Feed-forward: x += W2·act(W1·LN(x)) when pre-LN (ESM), x = LN(x + W2·act(W1·x)) when post-LN (BERT).
final class EncoderMLP {
    /// intermediate [F, H], output [H, F].
    let intermediate, output: Linear
    let norm: LayerNorm
    let activation: Activation
    let preNorm: Bool

    init(_ w: WeightLoader, names n: EncoderLayerNames, hidden h: Int, intermediate f: Int, eps: Float,
         activation: Activation) {
        preNorm = n.preNorm
        norm = w.layerNorm(n.mlpNorm, dim: h, eps: eps)
        intermediate = w.linear(n.intermediate, out: f, in: h)
        output = w.linear(n.output, out: h, in: f)
        self.activation = activation
    }

    func callAsFunction(_ x: UnsafeMutablePointer<Float>, rows n: Int, scratch s: EncoderScratch) {
        if preNorm { norm(x, rows: n, out: s.normed.pointer) }
        intermediate(preNorm ? s.normed.pointer : x, rows: n, out: s.intermediate.pointer)
        activation.apply(s.intermediate.pointer, count: n * intermediate.outFeatures)
        output(s.intermediate.pointer, rows: n, out: s.normed.pointer)
        addInPlace(x, s.normed.pointer, count: n * output.outFeatures)
        if !preNorm { norm(x, rows: n, out: x) }
    }
}

/// Scratch buffers shared by the blocks of one forward pass.
final class EncoderScratch {
    let normed: FloatBuffer        // [B, T, H]
    let qkv: FloatBuffer           // [B, T, 3H]
    let context: FloatBuffer       // [B, T, H]
    let intermediate: FloatBuffer  // [B, T, F]
    private var attentionBuffer: FloatBuffer?  // attention workspace, grown on demand

    /// Room for `count` floats of attention workspace, reused by every layer of the pass.
    func workspace(_ count: Int) -> UnsafeMutablePointer<Float> {
        if attentionBuffer == nil || attentionBuffer!.count < count { attentionBuffer = FloatBuffer(count) }
        return attentionBuffer!.pointer
    }

    init(rows n: Int, hidden h: Int, qkvWidth: Int, intermediate f: Int) {
        normed = FloatBuffer(n * h)
        qkv = FloatBuffer(n * qkvWidth)
        context = FloatBuffer(n * h)
        intermediate = FloatBuffer(n * f)
    }
}
