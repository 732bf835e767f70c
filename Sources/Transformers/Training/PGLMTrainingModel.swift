import Foundation
import Tensors

/// xTrimoPGLM in training mode: the runtime's maths (DeepNorm post-LN, per-head [q|k|v], GeGLU, 1-D/2-D
/// rotate_half RoPE, final LayerNorm, untied `output_layer`) with every activation cached for the backward.
/// Parameter names are the checkpoint's, so `save` writes a directory `ModelLoader` loads back.
public final class PGLMTrainingModel: TrainableModel {
    public let config: PGLMConfiguration
    public let parameters: ParameterSet
    public var dropout: Float = 0
    private var rng: SeededRandom
    let hidden: Int, ffn: Int, heads: Int, headDim: Int, vocab: Int, layers: Int
    var qkvWidth: Int { 3 * heads * headDim }
    var contextWidth: Int { heads * headDim }
    public var vocabularySize: Int { vocab }

    // Activation caches of the last forward (rows N = B·T).
    private var caches: [PGLMLayerCache] = []
    private var finalIn = TrainBuffer(0), finalMean = TrainBuffer(0), finalRstd = TrainBuffer(0), finalOut = TrainBuffer(0)
    private var grads: PGLMBackwardBuffers?
    private var last: TrainingBatch?
    private var selectedHidden: [Float] = []   // [S, H]
    private var usedDropout = false

    /// Names, shapes and decay flags of the trainable tensors, in checkpoint naming.
    /// `outputBias` adds `transformer.output_layer.bias` (checkpoints whose head has one, such as the official
    /// code's with `add_bias_linear`).
    public static func parameterSpecs(_ c: PGLMConfiguration, outputBias: Bool = false) -> [(name: String, shape: [Int], decay: Bool)] {
        let h = c.hiddenSize, f = c.ffnHiddenSize, w = 3 * c.numAttentionHeads * c.kvChannels
        var s: [(String, [Int], Bool)] = [(PGLMNames.wordEmbeddings + ".weight", [c.paddedVocabSize, h], true)]
        for l in 0..<c.numLayers {
            let p = PGLMNames(layer: l)
            s += [(p.inputNorm + ".weight", [h], false), (p.inputNorm + ".bias", [h], false),
                  (p.queryKeyValue + ".weight", [w, h], true)]
            if c.qkvHasBias { s.append((p.queryKeyValue + ".bias", [w], false)) }
            s.append((p.attentionDense + ".weight", [h, w / 3], true))
            if c.addBiasLinear { s.append((p.attentionDense + ".bias", [h], false)) }
            s += [(p.postAttentionNorm + ".weight", [h], false), (p.postAttentionNorm + ".bias", [h], false),
                  (p.up() + ".weight", [2 * f, h], true)]
            if c.addBiasLinear { s.append((p.up() + ".bias", [2 * f], false)) }
            s.append((p.down() + ".weight", [h, f], true))
            if c.addBiasLinear { s.append((p.down() + ".bias", [h], false)) }
        }
        s += [(PGLMNames.finalNorm + ".weight", [h], false),
              (PGLMNames.finalNorm + ".bias", [h], false),
              (PGLMNames.outputLayer + ".weight", [c.paddedVocabSize, h], true)]
        if outputBias { s.append((PGLMNames.outputLayer + ".bias", [c.paddedVocabSize], false)) }
        return s
    }

    /// A randomly initialised model (N(0, 0.02²) matrices, unit norms, zero biases); `outputBias` gives the
    /// head a bias.
    public init(config c: PGLMConfiguration, seed: UInt64, outputBias: Bool = false) throws {
        guard !c.multiQueryAttention, !c.rmsnorm, c.gluActivation == "geglu", c.postLayerNorm, !c.moe else {
            throw TransformersError.unsupportedModel(file: "config.json",
                detail: "training supports xTrimoPGLM with multi-head attention, LayerNorm, GeGLU, one dense MLP per layer (moe false) and a final LayerNorm")
        }
        config = c
        hidden = c.hiddenSize; ffn = c.ffnHiddenSize; heads = c.numAttentionHeads; headDim = c.kvChannels
        vocab = c.paddedVocabSize; layers = c.numLayers
        parameters = ParameterSet(Self.parameterSpecs(c, outputBias: outputBias))
        parameters.initialise(seed: seed)
        rng = SeededRandom(seed: seed ^ 0x5EED_D80F)
    }

    /// Loads a checkpoint directory (`config.json` + `model.safetensors`); a missing `output_layer` is
    /// taken from the word embeddings (tied checkpoints), after which the two train separately. An
    /// `output_layer.bias` is loaded and trained; any other tensor the model does not train is refused.
    public convenience init(directory: URL, seed: UInt64 = 0) throws {
        let c = try ConfigFile.decode(PGLMConfiguration.self, from: directory.appendingPathComponent("config.json"))
        let file = try SafetensorsFile(url: directory.appendingPathComponent("model.safetensors"))
        try self.init(config: c, seed: seed, outputBias: file.contains(PGLMNames.outputLayer + ".bias"))
        try parameters.load(from: file, aliases: Self.tiedHead, refusingOthers: true)
    }

    /// A tied checkpoint's head is its word embedding table.
    public static let tiedHead = [PGLMNames.outputLayer + ".weight": PGLMNames.wordEmbeddings + ".weight"]

    /// Restarts the dropout generator (the trainer reseeds per step so a resumed run draws the same masks).
    public func reseedDropout(_ seed: UInt64) { rng = SeededRandom(seed: seed) }

    private func p(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name) }
    private func g(_ name: String) -> UnsafeMutablePointer<Float> { parameters.gradient(name) }
    /// Bias value / gradient, nil when the configuration has no such bias (`add_bias_linear`, `add_qkv_bias`).
    private func biasValue(_ name: String) -> UnsafeMutablePointer<Float>? { parameters.entry(name) == nil ? nil : p(name) }
    private func biasGradient(_ name: String) -> UnsafeMutablePointer<Float>? { parameters.entry(name) == nil ? nil : g(name) }

    /// Sizes the caches for a batch. They only grow: every batch has another shape, and reallocating (and
    /// zeroing) them per step took 6 % of a training step.
    private func prepare(rows n: Int, batch: Int, length: Int) {
        let probs = batch * heads * length * length, scores = heads * length * length
        let fits = caches.first.map { $0.rows >= n && $0.probs.count >= probs } ?? false
        if !fits || (grads?.scores.count ?? 0) < scores {
            let rows = max(n, caches.first?.rows ?? 0), pc = max(probs, caches.first?.probs.count ?? 0)
            caches = (0..<layers).map { _ in
                PGLMLayerCache(rows: rows, hidden: hidden, qkv: qkvWidth, context: contextWidth, ffn: ffn, probs: pc)
            }
            finalIn = TrainBuffer(rows * hidden); finalOut = TrainBuffer(rows * hidden)
            finalMean = TrainBuffer(rows); finalRstd = TrainBuffer(rows)
            grads = PGLMBackwardBuffers(rows: rows, hidden: hidden, qkv: qkvWidth, context: contextWidth, ffn: ffn,
                                        scores: max(scores, grads?.scores.count ?? 0))
        }
    }

    public func forward(_ b: TrainingBatch, training: Bool) -> [Float] {
        let n = b.batch * b.length, h = hidden, eps = config.layernormEpsilon, alpha = config.alpha
        prepare(rows: n, batch: b.batch, length: b.length)
        last = b
        usedDropout = training && dropout > 0
        let attention = AttentionTraining(batch: b.batch, length: b.length, heads: heads, headDim: headDim, interleaved: true)
        b.ids.withUnsafeBufferPointer { ids in
            TrainingKernels.embeddingForward(caches[0].x.p, ids: ids.baseAddress!,
                                             table: p(PGLMNames.wordEmbeddings + ".weight"), rows: n, dim: h)
        }
        for l in 0..<layers {
            let c = caches[l], pre = PGLMNames(layer: l)
            let out = l + 1 < layers ? caches[l + 1].x.p : finalIn.p
            TrainingKernels.layerNormForward(c.a.p, mean: c.mean1.p, rstd: c.rstd1.p, c.x.p,
                                             weight: p(pre.inputNorm + ".weight"),
                                             bias: p(pre.inputNorm + ".bias"), rows: n, channels: h, eps: eps)
            TrainingKernels.linearForward(c.qkv.p, c.a.p, p(pre.queryKeyValue + ".weight"),
                                          biasValue(pre.queryKeyValue + ".bias"), rows: n, inFeatures: h,
                                          outFeatures: qkvWidth)
            rope(c.qkv.p, b, rows: n, inverse: false)
            attention.forward(context: c.context.p, probs: c.probs.p, qkv: c.qkv.p, mask: b.mask)
            TrainingKernels.linearForward(out, c.context.p, p(pre.attentionDense + ".weight"),
                                          biasValue(pre.attentionDense + ".bias"), rows: n, inFeatures: contextWidth,
                                          outFeatures: h)
            if usedDropout { TrainingKernels.dropoutForward(out, mask: c.drop1.p, count: n * h, p: dropout, rng: &rng) }
            let r1 = config.applyResidualConnectionPostLayernorm ? c.a.p : c.x.p
            for i in 0..<(n * h) { c.h.p[i] = alpha * r1[i] + out[i] }
            TrainingKernels.layerNormForward(c.c.p, mean: c.mean2.p, rstd: c.rstd2.p, c.h.p,
                                             weight: p(pre.postAttentionNorm + ".weight"),
                                             bias: p(pre.postAttentionNorm + ".bias"), rows: n, channels: h, eps: eps)
            TrainingKernels.linearForward(c.u.p, c.c.p, p(pre.up() + ".weight"), biasValue(pre.up() + ".bias"),
                                          rows: n, inFeatures: h, outFeatures: 2 * ffn)
            TrainingKernels.gegluForward(c.gated.p, c.u.p, rows: n, halfWidth: ffn)
            TrainingKernels.linearForward(out, c.gated.p, p(pre.down() + ".weight"), biasValue(pre.down() + ".bias"),
                                          rows: n, inFeatures: ffn, outFeatures: h)
            if usedDropout { TrainingKernels.dropoutForward(out, mask: c.drop2.p, count: n * h, p: dropout, rng: &rng) }
            let r2 = config.applyResidualConnectionPostLayernorm ? c.c.p : c.h.p
            for i in 0..<(n * h) { out[i] = alpha * r2[i] + out[i] }
        }
        TrainingKernels.layerNormForward(finalOut.p, mean: finalMean.p, rstd: finalRstd.p, finalIn.p,
                                         weight: p(PGLMNames.finalNorm + ".weight"),
                                         bias: p(PGLMNames.finalNorm + ".bias"), rows: n, channels: h, eps: eps)
        // Logits only for the selected rows: [S, H] · Wᵀ → [S, V].
        let s = b.selected.count
        selectedHidden = [Float](repeating: 0, count: s * h)
        var logits = [Float](repeating: 0, count: s * vocab)
        selectedHidden.withUnsafeMutableBufferPointer { sh in
            for (k, row) in b.selected.enumerated() { (sh.baseAddress! + k * h).update(from: finalOut.p + row * h, count: h) }
            logits.withUnsafeMutableBufferPointer { lg in
                TrainingKernels.linearForward(lg.baseAddress!, sh.baseAddress!, p(PGLMNames.outputLayer + ".weight"),
                                              biasValue(PGLMNames.outputLayer + ".bias"), rows: s, inFeatures: h, outFeatures: vocab)
            }
        }
        return logits
    }

    /// Rotates q and k inside qkv [N, 3·heads·d] (per-head [q|k|v]); `inverse` for the backward.
    private func rope(_ qkv: UnsafeMutablePointer<Float>, _ b: TrainingBatch, rows n: Int, inverse: Bool) {
        let d = headDim
        b.positions.withUnsafeBufferPointer { pos in
            for offset in [0, d] {   // q, then k
                if config.rotaryEmbedding2d, let blocks = b.blocks {
                    TrainingKernels.rotary(qkv, rows: n, rowStride: qkvWidth, heads: heads, headStride: 3 * d,
                                           offset: offset, dim: d / 2, positions: pos.baseAddress!, inverse: inverse)
                    blocks.withUnsafeBufferPointer { blk in
                        TrainingKernels.rotary(qkv, rows: n, rowStride: qkvWidth, heads: heads, headStride: 3 * d,
                                               offset: offset + d / 2, dim: d / 2, positions: blk.baseAddress!,
                                               inverse: inverse)
                    }
                } else {
                    TrainingKernels.rotary(qkv, rows: n, rowStride: qkvWidth, heads: heads, headStride: 3 * d,
                                           offset: offset, dim: d, positions: pos.baseAddress!, inverse: inverse)
                }
            }
        }
    }

    public func backward(_ dlogits: [Float]) {
        guard let b = last, let gb = grads else { preconditionFailure("backward before forward") }
        let n = b.batch * b.length, h = hidden, s = b.selected.count, alpha = config.alpha
        let fromNorm = config.applyResidualConnectionPostLayernorm
        let attention = AttentionTraining(batch: b.batch, length: b.length, heads: heads, headDim: headDim, interleaved: true)
        // Head: d(selected hidden) [S, H], scattered into dFinal [N, H].
        var dsel = [Float](repeating: 0, count: s * h)
        dlogits.withUnsafeBufferPointer { dl in
            selectedHidden.withUnsafeBufferPointer { sh in
                dsel.withUnsafeMutableBufferPointer { ds in
                    TrainingKernels.linearBackward(dx: ds.baseAddress!, dw: g(PGLMNames.outputLayer + ".weight"),
                                                   dbias: biasGradient(PGLMNames.outputLayer + ".bias"),
                                                   dy: dl.baseAddress!, x: sh.baseAddress!,
                                                   w: p(PGLMNames.outputLayer + ".weight"), rows: s, inFeatures: h,
                                                   outFeatures: vocab)
                }
            }
        }
        gb.tmp.p.update(repeating: 0, count: n * h)
        for (k, row) in b.selected.enumerated() {
            for j in 0..<h { gb.tmp.p[row * h + j] += dsel[k * h + j] }
        }
        let dx = gb.dx.p   // gradient w.r.t. the current layer's output
        TrainingKernels.layerNormBackward(dx: dx, dweight: g(PGLMNames.finalNorm + ".weight"),
                                          dbias: g(PGLMNames.finalNorm + ".bias"), dy: gb.tmp.p, x: finalIn.p,
                                          weight: p(PGLMNames.finalNorm + ".weight"), mean: finalMean.p,
                                          rstd: finalRstd.p, rows: n, channels: h)
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let c = caches[l], pre = PGLMNames(layer: l)
            // x_out = α·r₂ + drop(mlp(c)),  r₂ = c (DeepNorm) or h
            let dm = gb.tmp.p
            for i in 0..<(n * h) { dm[i] = usedDropout ? dx[i] * c.drop2.p[i] : dx[i] }
            TrainingKernels.linearBackward(dx: gb.dgated.p, dw: g(pre.down() + ".weight"),
                                           dbias: biasGradient(pre.down() + ".bias"), dy: dm, x: c.gated.p,
                                           w: p(pre.down() + ".weight"), rows: n, inFeatures: ffn, outFeatures: h)
            TrainingKernels.gegluBackward(du: gb.du.p, dy: gb.dgated.p, u: c.u.p, rows: n, halfWidth: ffn)
            TrainingKernels.linearBackward(dx: gb.dc.p, dw: g(pre.up() + ".weight"),
                                           dbias: biasGradient(pre.up() + ".bias"), dy: gb.du.p, x: c.c.p,
                                           w: p(pre.up() + ".weight"), rows: n, inFeatures: h,
                                           outFeatures: 2 * ffn)
            if fromNorm { for i in 0..<(n * h) { gb.dc.p[i] += alpha * dx[i] } }
            TrainingKernels.layerNormBackward(dx: gb.dh.p, dweight: g(pre.postAttentionNorm + ".weight"),
                                              dbias: g(pre.postAttentionNorm + ".bias"), dy: gb.dc.p, x: c.h.p,
                                              weight: p(pre.postAttentionNorm + ".weight"), mean: c.mean2.p,
                                              rstd: c.rstd2.p, rows: n, channels: h)
            if !fromNorm { for i in 0..<(n * h) { gb.dh.p[i] += alpha * dx[i] } }
            // h = α·r₁ + drop(attn(a)),  r₁ = a (DeepNorm) or x
            let dout = gb.tmp.p
            for i in 0..<(n * h) { dout[i] = usedDropout ? gb.dh.p[i] * c.drop1.p[i] : gb.dh.p[i] }
            TrainingKernels.linearBackward(dx: gb.dcontext.p, dw: g(pre.attentionDense + ".weight"),
                                           dbias: biasGradient(pre.attentionDense + ".bias"), dy: dout, x: c.context.p,
                                           w: p(pre.attentionDense + ".weight"), rows: n, inFeatures: contextWidth,
                                           outFeatures: h)
            attention.backward(dqkv: gb.dqkv.p, dcontext: gb.dcontext.p, qkv: c.qkv.p, probs: c.probs.p,
                               scratch: gb.scores.p)
            rope(gb.dqkv.p, b, rows: n, inverse: true)
            TrainingKernels.linearBackward(dx: gb.da.p, dw: g(pre.queryKeyValue + ".weight"),
                                           dbias: biasGradient(pre.queryKeyValue + ".bias"), dy: gb.dqkv.p, x: c.a.p,
                                           w: p(pre.queryKeyValue + ".weight"), rows: n, inFeatures: h,
                                           outFeatures: qkvWidth)
            if fromNorm { for i in 0..<(n * h) { gb.da.p[i] += alpha * gb.dh.p[i] } }
            TrainingKernels.layerNormBackward(dx: dx, dweight: g(pre.inputNorm + ".weight"),
                                              dbias: g(pre.inputNorm + ".bias"), dy: gb.da.p, x: c.x.p,
                                              weight: p(pre.inputNorm + ".weight"), mean: c.mean1.p, rstd: c.rstd1.p,
                                              rows: n, channels: h)
            if !fromNorm { for i in 0..<(n * h) { dx[i] += alpha * gb.dh.p[i] } }
        }
        b.ids.withUnsafeBufferPointer { ids in
            TrainingKernels.embeddingBackward(dtable: g(PGLMNames.wordEmbeddings + ".weight"), dy: dx,
                                              ids: ids.baseAddress!, rows: n, dim: h)
        }
    }
}

/// The training code's name for the one owned F32 buffer.
typealias TrainBuffer = FloatBuffer

/// What one xTrimoPGLM layer's forward keeps for its backward (N rows).
final class PGLMLayerCache {
    let rows: Int
    let x, a, h, c: TrainBuffer            // [N, H] input, LN_in(x), α·r₁ + attn, LN_post(h)
    let mean1, rstd1, mean2, rstd2: TrainBuffer  // [N]
    let qkv: TrainBuffer                   // [N, 3·heads·d] after RoPE
    let context: TrainBuffer               // [N, heads·d]
    let probs: TrainBuffer                 // [B, heads, T, T]
    let u: TrainBuffer                     // [N, 2F]
    let gated: TrainBuffer                 // [N, F]
    let drop1, drop2: TrainBuffer          // [N, H] dropout masks (0 or 1/(1 − p))

    init(rows n: Int, hidden: Int, qkv w: Int, context cw: Int, ffn f: Int, probs pc: Int) {
        rows = n
        x = TrainBuffer(n * hidden); a = TrainBuffer(n * hidden); h = TrainBuffer(n * hidden); c = TrainBuffer(n * hidden)
        mean1 = TrainBuffer(n); rstd1 = TrainBuffer(n); mean2 = TrainBuffer(n); rstd2 = TrainBuffer(n)
        qkv = TrainBuffer(n * w); context = TrainBuffer(n * cw); probs = TrainBuffer(pc)
        u = TrainBuffer(n * 2 * f); gated = TrainBuffer(n * f)
        drop1 = TrainBuffer(n * hidden); drop2 = TrainBuffer(n * hidden)
    }
}

/// Gradient scratch shared by all layers of one backward.
final class PGLMBackwardBuffers {
    let dx, tmp, dc, dh, da: TrainBuffer   // [N, H]
    let dgated: TrainBuffer                // [N, F]
    let du: TrainBuffer                    // [N, 2F]
    let dcontext: TrainBuffer              // [N, heads·d]
    let dqkv: TrainBuffer                  // [N, 3·heads·d]
    let scores: TrainBuffer                // [heads, T, T]

    init(rows n: Int, hidden: Int, qkv w: Int, context cw: Int, ffn f: Int, scores sc: Int) {
        dx = TrainBuffer(n * hidden); tmp = TrainBuffer(n * hidden); dc = TrainBuffer(n * hidden)
        dh = TrainBuffer(n * hidden); da = TrainBuffer(n * hidden)
        dgated = TrainBuffer(n * f); du = TrainBuffer(n * 2 * f); dcontext = TrainBuffer(n * cw)
        dqkv = TrainBuffer(n * w); scores = TrainBuffer(sc)
    }
}
