import Foundation
import Tensors

// Forward and backward of the BERT / RoBERTa / ESM-2 masked LM, side by side. Per layer (r = residual sums):
//   BERT, RoBERTa (post-LN): qkv = x·W; o = attn; r₁ = x + o; n₂ = LN(r₁); r₂ = n₂ + mlp(n₂); x′ = LN(r₂)
//   ESM  (pre-LN):  n₁ = LN(x); qkv = n₁·W (RoPE); r₁ = x + attn; n₂ = LN(r₁); x′ = r₂ = r₁ + mlp(n₂)
// Head: t = dense(x_L[selected]); n = LN(gelu(t)); logits = n·Eᵀ + bias (decoder tied to the embeddings).

extension EncoderTrainingModel {
    func p(_ n: String) -> UnsafeMutablePointer<Float> { parameters.value(n) }
    func g(_ n: String) -> UnsafeMutablePointer<Float> { parameters.gradient(n) }

    func prepare(_ b: TrainingBatch) {
        let n = b.batch * b.length, probs = b.batch * heads * b.length * b.length
        if caches.first?.rows != n || caches.first?.probs.count != probs {
            caches = (0..<layers).map { _ in EncoderLayerCache(rows: n, hidden: hidden, inter: inter, probs: probs) }
            embCache = EncoderEmbeddingCache(rows: n, hidden: hidden)
            grads = EncoderBackwardBuffers(rows: n, hidden: hidden, inter: inter, scores: heads * b.length * b.length)
        }
    }

    public func forward(_ b: TrainingBatch, training: Bool) -> [Float] {
        prepare(b)
        last = b
        usedDropout = training && dropout > 0
        let n = b.batch * b.length, h = hidden, e = embCache!
        let word = p(prefix + "embeddings.word_embeddings.weight")
        let first = caches[0].x.p
        // Embeddings → x₀
        b.ids.withUnsafeBufferPointer { ids in
            TrainingKernels.embeddingForward(postLN ? e.sum.p : first, ids: ids.baseAddress!, table: word, rows: n, dim: h)
        }
        if postLN {
            let pos = p(prefix + "embeddings.position_embeddings.weight"), typ = p(prefix + "embeddings.token_type_embeddings.weight")
            for r in 0..<n {
                let pp = pos + Int(b.positions[r]) * h, tp = typ + Int(b.tokenTypes?[r] ?? 0) * h, row = e.sum.p + r * h
                for j in 0..<h { row[j] += pp[j] + tp[j] }
            }
            TrainingKernels.layerNormForward(first, mean: e.mean.p, rstd: e.rstd.p, e.sum.p,
                                             weight: p(prefix + "embeddings.LayerNorm.weight"),
                                             bias: p(prefix + "embeddings.LayerNorm.bias"), rows: n, channels: h, eps: eps)
            if usedDropout { TrainingKernels.dropoutForward(first, mask: e.drop.p, count: n * h, p: dropout, rng: &rng) }
        } else {
            // Token dropout: <mask> rows zeroed, others × (1 − 0.15·0.8)/(1 − observed mask ratio); padding rows zeroed.
            for s in 0..<b.batch {
                let len = b.mask.lengths[s]
                var masked = 0
                for t in 0..<len where b.ids[s * b.length + t] == maskTokenId { masked += 1 }
                let factor: Float = tokenDropout ? (1 - 0.15 * 0.8) / (1 - Float(masked) / Float(len)) : 1
                for t in 0..<b.length {
                    let r = s * b.length + t
                    let keep: Float = t >= len || (tokenDropout && b.ids[r] == maskTokenId) ? 0 : factor
                    e.scale.p[r] = keep
                    for j in 0..<h { first[r * h + j] *= keep }
                }
            }
        }
        let attention = AttentionTraining(batch: b.batch, length: b.length, heads: heads, headDim: h / heads, interleaved: false)
        for l in 0..<layers {
            let c = caches[l], q = layerNames(l)
            let out = l + 1 < layers ? caches[l + 1].x.p : e.final.p
            var attnIn = c.x.p
            if family == .esm {
                TrainingKernels.layerNormForward(c.n1.p, mean: c.mean1.p, rstd: c.rstd1.p, c.x.p,
                                                 weight: p(q.attentionNorm + ".weight"), bias: p(q.attentionNorm + ".bias"),
                                                 rows: n, channels: h, eps: eps)
                attnIn = c.n1.p
            }
            TrainingKernels.linearForward(c.qkv.p, attnIn, p(q.query + ".weight"), p(q.query + ".bias"),
                                          rows: n, inFeatures: h, outFeatures: 3 * h)
            if family == .esm { rope(c.qkv.p, b, inverse: false) }
            attention.forward(context: c.context.p, probs: c.probs.p, qkv: c.qkv.p, mask: b.mask)
            TrainingKernels.linearForward(c.r1.p, c.context.p, p(q.attentionOutput + ".weight"),
                                          p(q.attentionOutput + ".bias"), rows: n, inFeatures: h, outFeatures: h)
            if usedDropout { TrainingKernels.dropoutForward(c.r1.p, mask: c.drop1.p, count: n * h, p: dropout, rng: &rng) }
            for i in 0..<(n * h) { c.r1.p[i] += c.x.p[i] }
            let ln2 = postLN ? q.attentionNorm : q.mlpNorm
            TrainingKernels.layerNormForward(c.n2.p, mean: c.mean2.p, rstd: c.rstd2.p, c.r1.p, weight: p(ln2 + ".weight"),
                                             bias: p(ln2 + ".bias"), rows: n, channels: h, eps: eps)
            TrainingKernels.linearForward(c.u.p, c.n2.p, p(q.intermediate + ".weight"), p(q.intermediate + ".bias"),
                                          rows: n, inFeatures: h, outFeatures: inter)
            TrainingKernels.geluForward(c.gelu.p, c.u.p, count: n * inter)
            let r2 = postLN ? c.r2.p : out
            TrainingKernels.linearForward(r2, c.gelu.p, p(q.output + ".weight"), p(q.output + ".bias"),
                                          rows: n, inFeatures: inter, outFeatures: h)
            if usedDropout { TrainingKernels.dropoutForward(r2, mask: c.drop2.p, count: n * h, p: dropout, rng: &rng) }
            let res = postLN ? c.n2.p : c.r1.p
            for i in 0..<(n * h) { r2[i] += res[i] }
            if postLN {
                TrainingKernels.layerNormForward(out, mean: c.mean3.p, rstd: c.rstd3.p, r2, weight: p(q.mlpNorm + ".weight"),
                                                 bias: p(q.mlpNorm + ".bias"), rows: n, channels: h, eps: eps)
            }
        }
        var top = e.final.p
        if family == .esm {
            TrainingKernels.layerNormForward(e.finalNorm.p, mean: e.finalMean.p, rstd: e.finalRstd.p, e.final.p,
                                             weight: p(prefix + "encoder.emb_layer_norm_after.weight"),
                                             bias: p(prefix + "encoder.emb_layer_norm_after.bias"), rows: n, channels: h, eps: eps)
            top = e.finalNorm.p
        }
        // Head over the selected rows only.
        let s = b.selected.count, hn = headNames
        let hc = EncoderHeadCache(rows: s, hidden: h)
        for (k, row) in b.selected.enumerated() { (hc.x.p + k * h).update(from: top + row * h, count: h) }
        TrainingKernels.linearForward(hc.t.p, hc.x.p, p(hn.dense + ".weight"), p(hn.dense + ".bias"), rows: s, inFeatures: h, outFeatures: h)
        TrainingKernels.geluForward(hc.gelu.p, hc.t.p, count: s * h)
        TrainingKernels.layerNormForward(hc.n.p, mean: hc.mean.p, rstd: hc.rstd.p, hc.gelu.p, weight: p(hn.norm + ".weight"),
                                         bias: p(hn.norm + ".bias"), rows: s, channels: h, eps: eps)
        headCache = hc
        var logits = [Float](repeating: 0, count: s * vocab)
        logits.withUnsafeMutableBufferPointer { lg in
            TrainingKernels.linearForward(lg.baseAddress!, hc.n.p, word, p(hn.bias), rows: s, inFeatures: h, outFeatures: vocab)
        }
        return logits
    }

    /// Position ids of a [B, T] batch as the checkpoint's Hugging Face class computes them when none are given:
    /// BERT and ESM-2 0…T−1; RoBERTa padding_idx + the running count of non-pad tokens, padding_idx on pads
    /// (from the ids, not the attention mask, so attended padding keeps padding_idx).
    public func positionIds(_ ids: [Int32], batch: Int, length t: Int) -> [Int32] {
        precondition(ids.count == batch * t, "ids must be [batch, length]")
        var positions = [Int32](repeating: 0, count: batch * t)
        for s in 0..<batch {
            var seen: Int32 = 0
            for i in 0..<t {
                if family == .roberta {
                    if ids[s * t + i] != padTokenId { seen += 1; positions[s * t + i] = padTokenId + seen }
                    else { positions[s * t + i] = padTokenId }
                } else {
                    positions[s * t + i] = Int32(i)
                }
            }
        }
        return positions
    }

    /// ESM rotary over the full head dim of q (all heads at 0) and k (at H), positions from the batch.
    func rope(_ qkv: UnsafeMutablePointer<Float>, _ b: TrainingBatch, inverse: Bool) {
        let d = hidden / heads, n = b.batch * b.length
        b.positions.withUnsafeBufferPointer { pos in
            for offset in [0, hidden] {
                TrainingKernels.rotary(qkv, rows: n, rowStride: 3 * hidden, heads: heads, headStride: d, offset: offset,
                                       dim: d, positions: pos.baseAddress!, inverse: inverse)
            }
        }
    }

    public func backward(_ dlogits: [Float]) {
        guard let b = last, let gb = grads, let hc = headCache, let e = embCache else { preconditionFailure("backward before forward") }
        let n = b.batch * b.length, h = hidden, s = b.selected.count, hn = headNames
        let wordName = prefix + "embeddings.word_embeddings.weight"
        let attention = AttentionTraining(batch: b.batch, length: b.length, heads: heads, headDim: h / heads, interleaved: false)
        // Head backward.
        let dn = TrainBuffer(s * h), dg = TrainBuffer(s * h), dsel = TrainBuffer(s * h)
        dlogits.withUnsafeBufferPointer { dl in
            TrainingKernels.linearBackward(dx: dn.p, dw: g(wordName), dbias: g(hn.bias), dy: dl.baseAddress!, x: hc.n.p,
                                           w: p(wordName), rows: s, inFeatures: h, outFeatures: vocab)
        }
        TrainingKernels.layerNormBackward(dx: dg.p, dweight: g(hn.norm + ".weight"), dbias: g(hn.norm + ".bias"), dy: dn.p,
                                          x: hc.gelu.p, weight: p(hn.norm + ".weight"), mean: hc.mean.p, rstd: hc.rstd.p,
                                          rows: s, channels: h)
        TrainingKernels.geluBackward(dx: dg.p, dy: dg.p, x: hc.t.p, count: s * h)
        TrainingKernels.linearBackward(dx: dsel.p, dw: g(hn.dense + ".weight"), dbias: g(hn.dense + ".bias"), dy: dg.p,
                                       x: hc.x.p, w: p(hn.dense + ".weight"), rows: s, inFeatures: h, outFeatures: h)
        let dx = gb.dx.p
        gb.tmp.p.update(repeating: 0, count: n * h)
        for (k, row) in b.selected.enumerated() { for j in 0..<h { gb.tmp.p[row * h + j] += dsel.p[k * h + j] } }
        if family == .esm {
            TrainingKernels.layerNormBackward(dx: dx, dweight: g(prefix + "encoder.emb_layer_norm_after.weight"),
                                              dbias: g(prefix + "encoder.emb_layer_norm_after.bias"), dy: gb.tmp.p, x: e.final.p,
                                              weight: p(prefix + "encoder.emb_layer_norm_after.weight"), mean: e.finalMean.p,
                                              rstd: e.finalRstd.p, rows: n, channels: h)
        } else {
            dx.update(from: gb.tmp.p, count: n * h)
        }
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let c = caches[l], q = layerNames(l)
            let dr2 = gb.dr2.p
            if postLN {
                TrainingKernels.layerNormBackward(dx: dr2, dweight: g(q.mlpNorm + ".weight"), dbias: g(q.mlpNorm + ".bias"),
                                                  dy: dx, x: c.r2.p, weight: p(q.mlpNorm + ".weight"), mean: c.mean3.p,
                                                  rstd: c.rstd3.p, rows: n, channels: h)
            } else {
                dr2.update(from: dx, count: n * h)
            }
            let dm = gb.tmp.p
            for i in 0..<(n * h) { dm[i] = usedDropout ? dr2[i] * c.drop2.p[i] : dr2[i] }
            TrainingKernels.linearBackward(dx: gb.dinter.p, dw: g(q.output + ".weight"), dbias: g(q.output + ".bias"),
                                           dy: dm, x: c.gelu.p, w: p(q.output + ".weight"), rows: n, inFeatures: inter, outFeatures: h)
            TrainingKernels.geluBackward(dx: gb.dinter.p, dy: gb.dinter.p, x: c.u.p, count: n * inter)
            TrainingKernels.linearBackward(dx: gb.dn2.p, dw: g(q.intermediate + ".weight"), dbias: g(q.intermediate + ".bias"),
                                           dy: gb.dinter.p, x: c.n2.p, w: p(q.intermediate + ".weight"), rows: n,
                                           inFeatures: h, outFeatures: inter)
            if postLN { for i in 0..<(n * h) { gb.dn2.p[i] += dr2[i] } }
            let ln2 = postLN ? q.attentionNorm : q.mlpNorm
            TrainingKernels.layerNormBackward(dx: gb.dr1.p, dweight: g(ln2 + ".weight"), dbias: g(ln2 + ".bias"), dy: gb.dn2.p,
                                              x: c.r1.p, weight: p(ln2 + ".weight"), mean: c.mean2.p, rstd: c.rstd2.p,
                                              rows: n, channels: h)
            if family == .esm { for i in 0..<(n * h) { gb.dr1.p[i] += dr2[i] } }
            let dout = gb.tmp.p
            for i in 0..<(n * h) { dout[i] = usedDropout ? gb.dr1.p[i] * c.drop1.p[i] : gb.dr1.p[i] }
            TrainingKernels.linearBackward(dx: gb.dcontext.p, dw: g(q.attentionOutput + ".weight"),
                                           dbias: g(q.attentionOutput + ".bias"), dy: dout, x: c.context.p,
                                           w: p(q.attentionOutput + ".weight"), rows: n, inFeatures: h, outFeatures: h)
            attention.backward(dqkv: gb.dqkv.p, dcontext: gb.dcontext.p, qkv: c.qkv.p, probs: c.probs.p, scratch: gb.scores.p)
            if family == .esm { rope(gb.dqkv.p, b, inverse: true) }
            let attnIn = family == .esm ? c.n1.p : c.x.p
            TrainingKernels.linearBackward(dx: gb.dattn.p, dw: g(q.query + ".weight"),
                                           dbias: g(q.query + ".bias"), dy: gb.dqkv.p, x: attnIn,
                                           w: p(q.query + ".weight"), rows: n, inFeatures: h, outFeatures: 3 * h)
            if family == .esm {
                TrainingKernels.layerNormBackward(dx: dx, dweight: g(q.attentionNorm + ".weight"),
                                                  dbias: g(q.attentionNorm + ".bias"), dy: gb.dattn.p, x: c.x.p,
                                                  weight: p(q.attentionNorm + ".weight"), mean: c.mean1.p, rstd: c.rstd1.p,
                                                  rows: n, channels: h)
            } else {
                dx.update(from: gb.dattn.p, count: n * h)
            }
            for i in 0..<(n * h) { dx[i] += gb.dr1.p[i] }
        }
        // Embeddings.
        if postLN {
            if usedDropout { for i in 0..<(n * h) { dx[i] *= e.drop.p[i] } }
            TrainingKernels.layerNormBackward(dx: gb.tmp.p, dweight: g(prefix + "embeddings.LayerNorm.weight"),
                                              dbias: g(prefix + "embeddings.LayerNorm.bias"), dy: dx, x: e.sum.p,
                                              weight: p(prefix + "embeddings.LayerNorm.weight"), mean: e.mean.p, rstd: e.rstd.p,
                                              rows: n, channels: h)
            let dpos = g(prefix + "embeddings.position_embeddings.weight"), dtyp = g(prefix + "embeddings.token_type_embeddings.weight")
            for r in 0..<n {
                let pp = dpos + Int(b.positions[r]) * h, tp = dtyp + Int(b.tokenTypes?[r] ?? 0) * h, row = gb.tmp.p + r * h
                // RoBERTa's position table is nn.Embedding(padding_idx: pad_token_id): pads sit at position
                // padding_idx, whose row gets no gradient (they are attended in Prompt-and-Align's reference mode).
                let positionGrad = !(family == .roberta && b.positions[r] == padTokenId)
                for j in 0..<h { if positionGrad { pp[j] += row[j] }; tp[j] += row[j] }
            }
            dx.update(from: gb.tmp.p, count: n * h)
        } else {
            for r in 0..<n { for j in 0..<h { dx[r * h + j] *= e.scale.p[r] } }
        }
        // nn.Embedding(padding_idx: pad_token_id): lookups of the padding id add no gradient to its row
        // (this matters when padding is attended, as in Prompt-and-Align's unmasked batches).
        for r in 0..<n where b.ids[r] == padTokenId { (dx + r * h).update(repeating: 0, count: h) }
        b.ids.withUnsafeBufferPointer { ids in
            TrainingKernels.embeddingBackward(dtable: g(wordName), dy: dx, ids: ids.baseAddress!, rows: n, dim: h)
        }
    }

    /// Writes the loaded `config.json` and `model.safetensors` (trained tensors + untouched ones such as the
    /// ESM contact head; the decoder stays tied to the word embeddings, as transformers saves it).
    public func save(to directory: URL, dtype: SafetensorsDTypeName) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let st: SafetensorsDType = dtype == .bf16 ? .bf16 : .f32
        var w = SafetensorsWriter(metadata: ["format": "pt"])
        try parameters.add(to: &w, dtype: st)
        for f in frozen { try w.add(f.name, floats: f.values, shape: f.shape, as: st) }
        try CheckpointFiles.writeAtomically(w.serialized(), to: directory.appendingPathComponent("model.safetensors"))
        try CheckpointFiles.writeJSON(rawConfig, to: directory.appendingPathComponent("config.json"))
    }
}

/// Embedding-stage caches [N, H] (and the ESM token-dropout row scale [N]).
final class EncoderEmbeddingCache {
    let sum, drop, final, finalNorm: TrainBuffer
    let mean, rstd, scale, finalMean, finalRstd: TrainBuffer
    init(rows n: Int, hidden h: Int) {
        sum = TrainBuffer(n * h); drop = TrainBuffer(n * h); final = TrainBuffer(n * h); finalNorm = TrainBuffer(n * h)
        mean = TrainBuffer(n); rstd = TrainBuffer(n); scale = TrainBuffer(n); finalMean = TrainBuffer(n); finalRstd = TrainBuffer(n)
    }
}

/// One encoder layer's caches (N rows).
final class EncoderLayerCache {
    let rows: Int
    let x, n1, r1, n2, r2, context, drop1, drop2: TrainBuffer   // [N, H]
    let mean1, rstd1, mean2, rstd2, mean3, rstd3: TrainBuffer   // [N]
    let qkv: TrainBuffer      // [N, 3H] = [q | k | v]
    let probs: TrainBuffer    // [B, heads, T, T]
    let u, gelu: TrainBuffer  // [N, F]
    init(rows n: Int, hidden h: Int, inter f: Int, probs pc: Int) {
        rows = n
        x = TrainBuffer(n * h); n1 = TrainBuffer(n * h); r1 = TrainBuffer(n * h); n2 = TrainBuffer(n * h); r2 = TrainBuffer(n * h)
        context = TrainBuffer(n * h); drop1 = TrainBuffer(n * h); drop2 = TrainBuffer(n * h)
        mean1 = TrainBuffer(n); rstd1 = TrainBuffer(n); mean2 = TrainBuffer(n); rstd2 = TrainBuffer(n)
        mean3 = TrainBuffer(n); rstd3 = TrainBuffer(n)
        qkv = TrainBuffer(n * 3 * h); probs = TrainBuffer(pc); u = TrainBuffer(n * f); gelu = TrainBuffer(n * f)
    }
}

/// LM-head caches over the S selected rows.
final class EncoderHeadCache {
    let x, t, gelu, n: TrainBuffer   // [S, H]
    let mean, rstd: TrainBuffer      // [S]
    init(rows s: Int, hidden h: Int) {
        x = TrainBuffer(s * h); t = TrainBuffer(s * h); gelu = TrainBuffer(s * h); n = TrainBuffer(s * h)
        mean = TrainBuffer(s); rstd = TrainBuffer(s)
    }
}

/// Gradient scratch of one encoder backward.
final class EncoderBackwardBuffers {
    let dx, tmp, dr2, dn2, dr1, dcontext, dattn: TrainBuffer   // [N, H]
    let dinter: TrainBuffer   // [N, F]
    let dqkv: TrainBuffer     // [N, 3H]
    let scores: TrainBuffer   // [heads, T, T]
    init(rows n: Int, hidden h: Int, inter f: Int, scores sc: Int) {
        dx = TrainBuffer(n * h); tmp = TrainBuffer(n * h); dr2 = TrainBuffer(n * h); dn2 = TrainBuffer(n * h)
        dr1 = TrainBuffer(n * h); dcontext = TrainBuffer(n * h); dattn = TrainBuffer(n * h)
        dinter = TrainBuffer(n * f); dqkv = TrainBuffer(n * 3 * h); scores = TrainBuffer(sc)
    }
}
