import Foundation
import Tensors

// xTrimoPGLM / ProteinGLM (biomap-research checkpoints): DeepNorm post-LN blocks
// (h = α·LN_in(x) + attn, x' = α·LN_post(h) + mlp), fused per-head [q|k|v] with bias, GeGLU,
// 1-D or 2-D rotate_half RoPE, final LayerNorm, `output_layer` (tied to the embeddings when absent).

/// Self-attention on the normalised input: fused QKV → RoPE → softmax(QKᵀ/√d + mask)·V → dense.
final class PGLMAttention {
    let qkv: Linear
    let dense: Linear
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    let multiQuery: Bool
    let rotary: Rotary
    let rotary2D: Bool

    init(_ w: WeightLoader, names n: PGLMNames, config c: PGLMConfiguration) {
        heads = c.numAttentionHeads
        kvHeads = c.kvHeads
        headDim = c.kvChannels
        multiQuery = c.multiQueryAttention
        rotary2D = c.rotaryEmbedding2d
        rotary = Rotary(dim: rotary2D ? headDim / 2 : headDim)
        let width = (heads + 2 * kvHeads) * headDim
        qkv = w.linear(n.queryKeyValue, out: width, in: c.hiddenSize, bias: c.qkvHasBias)
        dense = w.linear(n.attentionDense, out: c.hiddenSize, in: heads * headDim, bias: c.addBiasLinear)
    }

    /// Views of q, k, v inside the fused projection [B, T, width]: per head [q|k|v] blocks, or with
    /// multi-query attention [all q | all k | all v].
    func views(_ base: UnsafeMutablePointer<Float>, length: Int, packed: PackedRows? = nil) -> (HeadView, HeadView, HeadView) {
        let width = qkv.outFeatures
        if multiQuery {
            let q = HeadView(base: base, batchStride: length * width, rowStride: width, headStride: headDim,
                             firstRows: packed?.firstRows)
            var k = q, v = q
            k.base = base + heads * headDim
            v.base = base + (heads + kvHeads) * headDim
            return (q, k, v)
        }
        let q = HeadView(base: base, batchStride: length * width, rowStride: width, headStride: 3 * headDim,
                         firstRows: packed?.firstRows)
        var k = q, v = q
        k.base = base + headDim
        v.base = base + 2 * headDim
        return (q, k, v)
    }

    /// a: [B, T, H] normalised input → out: [B, T, H]; [N, H] each when `packed` (no cache then).
    func callAsFunction(_ a: UnsafeMutablePointer<Float>, batch: Int, length: Int, positions: UnsafePointer<Int32>,
                        blocks: UnsafePointer<Int32>?, mask: AttentionMask, keyCount: [Int], packed: PackedRows?,
                        cache: (KVCache, Int)?, scratch s: PGLMScratch, out: UnsafeMutablePointer<Float>) {
        precondition(packed == nil || cache == nil, "a KV cache needs padded sequences")
        let n = packed?.rows ?? batch * length
        qkv(a, rows: n, out: s.qkv.pointer)
        let (q, k, v) = views(s.qkv.pointer, length: length, packed: packed)
        for (view, count) in [(q, heads), (k, kvHeads)] {
            if rotary2D {
                rotary.apply(view.base, rows: n, rowStride: view.rowStride, heads: count, headStride: view.headStride,
                             offset: 0, positions: positions)
                rotary.apply(view.base, rows: n, rowStride: view.rowStride, heads: count, headStride: view.headStride,
                             offset: headDim / 2, positions: blocks!)
            } else {
                rotary.apply(view.base, rows: n, rowStride: view.rowStride, heads: count, headStride: view.headStride,
                             offset: 0, positions: positions)
            }
        }
        let ctx = HeadView(base: s.context.pointer, batchStride: length * heads * headDim, rowStride: heads * headDim,
                           headStride: headDim, firstRows: packed?.firstRows)
        if let (cache, layer) = cache {
            Profiler.time(.copies) {
                cache.store(layer: layer, k: k, v: v, batch: batch, queries: length, start: mask.queryStart)
            }
            ScaledDotProductAttention.compute(q: q, packed: cache.packed(layer: layer), out: ctx, batch: batch,
                                              queries: length, keyCount: keyCount, heads: heads, kvHeads: kvHeads,
                                              headDim: headDim, scale: 1 / Float(headDim).squareRoot(), mask: mask)
        } else {
            ScaledDotProductAttention.compute(q: q, k: k, v: v, out: ctx, batch: batch, queries: length,
                                              queryCount: packed?.counts, keyCount: keyCount, heads: heads,
                                              kvHeads: kvHeads, headDim: headDim,
                                              scale: 1 / Float(headDim).squareRoot(), mask: mask,
                                              workspace: s.scores)
        }
        dense(s.context.pointer, rows: n, out: out)
    }
}

/// GLU feed-forward: dense_4h_to_h(glu(dense_h_to_4h(x))), or with `moe` a mixture of such experts
/// (`PGLMExperts`).
final class PGLMMLP {
    /// The one dense MLP (nil with `moe`).
    let dense: (up: Linear, down: Linear)?
    let experts: PGLMExperts?
    let glu: GatedActivation

    init(_ w: WeightLoader, names n: PGLMNames, config c: PGLMConfiguration) {
        glu = GatedActivation(rawValue: c.gluActivation) ?? .geglu
        if c.moe {
            experts = PGLMExperts(w, names: n, config: c)
            dense = nil
        } else {
            experts = nil
            dense = (w.linear(n.up(), out: 2 * c.ffnHiddenSize, in: c.hiddenSize, bias: c.addBiasLinear),
                     w.linear(n.down(), out: c.hiddenSize, in: c.ffnHiddenSize, bias: c.addBiasLinear))
        }
    }

    func callAsFunction(_ x: UnsafeMutablePointer<Float>, rows n: Int, scratch s: PGLMScratch,
                        out: UnsafeMutablePointer<Float>) {
        if let experts { experts(x, rows: n, glu: glu, scratch: s, out: out) }
        if let (up, down) = dense {
            up(x, rows: n, out: s.up.pointer)
            glu.apply(s.up.pointer, rows: n, halfWidth: down.inFeatures, out: s.gated.pointer)
            down(s.gated.pointer, rows: n, out: out)
        }
    }
}

/// One block: h = r₁·α + attn(LN_in(x)), x' = r₂·α + mlp(LN_post(h)), where the residuals r are the
/// normalised inputs with DeepNorm (`apply_residual_connection_post_layernorm`) and the raw ones otherwise.
final class PGLMBlock {
    let inputNorm: Norm
    let attention: PGLMAttention
    let postNorm: Norm
    let mlp: PGLMMLP
    let alpha: Float
    let residualFromNorm: Bool

    init(_ w: WeightLoader, names n: PGLMNames, config c: PGLMConfiguration) {
        inputNorm = pglmNorm(w, n.inputNorm, c)
        attention = PGLMAttention(w, names: n, config: c)
        postNorm = pglmNorm(w, n.postAttentionNorm, c)
        mlp = PGLMMLP(w, names: n, config: c)
        alpha = c.alpha
        residualFromNorm = c.applyResidualConnectionPostLayernorm
    }

    /// x: [B, T, H] updated in place ([N, H] when `packed`).
    func callAsFunction(_ x: UnsafeMutablePointer<Float>, batch: Int, length: Int, positions: UnsafePointer<Int32>,
                        blocks: UnsafePointer<Int32>?, mask: AttentionMask, keyCount: [Int], packed: PackedRows?,
                        cache: (KVCache, Int)?, scratch s: PGLMScratch) {
        let n = packed?.rows ?? batch * length, h = attention.dense.outFeatures
        let a = s.normed.pointer, o = s.branch.pointer
        inputNorm(x, rows: n, out: a)
        attention(a, batch: batch, length: length, positions: positions, blocks: blocks, mask: mask,
                  keyCount: keyCount, packed: packed, cache: cache, scratch: s, out: o)
        let r1 = residualFromNorm ? UnsafePointer(a) : UnsafePointer(x)
        Profiler.time(.other) { for i in 0..<(n * h) { x[i] = r1[i] * alpha + o[i] } }   // DeepNorm residual
        postNorm(x, rows: n, out: a)
        mlp(a, rows: n, scratch: s, out: o)
        let r2 = residualFromNorm ? UnsafePointer(a) : UnsafePointer(x)
        Profiler.time(.other) { for i in 0..<(n * h) { x[i] = r2[i] * alpha + o[i] } }
    }
}

func pglmNorm(_ w: WeightLoader, _ name: String, _ c: PGLMConfiguration) -> Norm {
    if c.rmsnorm {
        return .rms(RMSNorm(weight: w.tensor(name + ".weight", shape: [c.hiddenSize]), eps: c.layernormEpsilon))
    }
    return .layer(w.layerNorm(name, dim: c.hiddenSize, eps: c.layernormEpsilon))
}

/// Scratch buffers of one xTrimoPGLM pass over n tokens.
final class PGLMScratch {
    let normed: FloatBuffer   // [n, H]
    let branch: FloatBuffer   // [n, H]
    let qkv: FloatBuffer      // [n, (heads + 2·kvHeads)·hn]
    let context: FloatBuffer  // [n, heads·hn]
    let up: FloatBuffer       // [n, 2F]
    let gated: FloatBuffer    // [n, F]
    private var scoreBuffer: FloatBuffer? // attention workspace, grown on demand

    /// Room for `count` floats of attention workspace, reused by every layer of the pass.
    func scores(_ count: Int) -> UnsafeMutablePointer<Float> {
        if scoreBuffer == nil || scoreBuffer!.count < count { scoreBuffer = FloatBuffer(count) }
        return scoreBuffer!.pointer
    }

    init(rows n: Int, config c: PGLMConfiguration) {
        normed = FloatBuffer(n * c.hiddenSize)
        branch = FloatBuffer(n * c.hiddenSize)
        qkv = FloatBuffer(n * (c.numAttentionHeads + 2 * c.kvHeads) * c.kvChannels)
        context = FloatBuffer(n * c.numAttentionHeads * c.kvChannels)
        up = FloatBuffer(n * 2 * c.ffnHiddenSize)
        gated = FloatBuffer(n * c.ffnHiddenSize)
    }
}
