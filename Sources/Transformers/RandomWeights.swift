import Foundation

/// Seeded random checkpoints in the real tensor layouts, for benchmarks and tests (no files involved).
public enum RandomWeights {
    private struct Filler {
        var rng: SeededRandom
        var tensors: [String: (shape: [Int], values: [Float])] = [:]

        /// Uniform values in offset ± scale.
        mutating func add(_ name: String, _ shape: [Int], scale: Float, offset: Float = 0) {
            let n = shape.reduce(1, *)
            var v = [Float](repeating: 0, count: n)
            for i in 0..<n { v[i] = offset + scale * (Float(rng.nextUnit()) * 2 - 1) }
            tensors[name] = (shape, v)
        }

        mutating func linear(_ p: String, out: Int, in k: Int, bias: Bool = true) {
            add(p + ".weight", [out, k], scale: 1 / Float(k).squareRoot())
            if bias { add(p + ".bias", [out], scale: 0.1) }
        }

        mutating func norm(_ p: String, _ dim: Int, bias: Bool = true) {
            add(p + ".weight", [dim], scale: 0.1, offset: 1)
            if bias { add(p + ".bias", [dim], scale: 0.1) }
        }
    }

    /// An `EsmForMaskedLM` checkpoint (tied decoder, no contact head).
    public static func esm(_ c: EsmConfiguration, seed: UInt64 = 1) -> InMemoryTensorSource {
        var f = Filler(rng: SeededRandom(seed: seed))
        let h = c.hiddenSize
        f.add("esm.embeddings.word_embeddings.weight", [c.vocabSize, h], scale: 1)
        for l in 0..<c.numHiddenLayers {
            let p = "esm.encoder.layer.\(l)"
            for name in ["query", "key", "value"] { f.linear(p + ".attention.self." + name, out: h, in: h) }
            f.linear(p + ".attention.output.dense", out: h, in: h)
            f.norm(p + ".attention.LayerNorm", h)
            f.norm(p + ".LayerNorm", h)
            f.linear(p + ".intermediate.dense", out: c.intermediateSize, in: h)
            f.linear(p + ".output.dense", out: h, in: c.intermediateSize)
        }
        f.norm("esm.encoder.emb_layer_norm_after", h)
        f.linear("lm_head.dense", out: h, in: h)
        f.norm("lm_head.layer_norm", h)
        f.add("lm_head.bias", [c.vocabSize], scale: 0.1)
        return InMemoryTensorSource(f.tensors, location: "<random esm>")
    }

    /// An xTrimoPGLM checkpoint; `tied` leaves out `transformer.output_layer.*`.
    public static func pglm(_ c: PGLMConfiguration, seed: UInt64 = 1, tied: Bool = false) -> InMemoryTensorSource {
        var f = Filler(rng: SeededRandom(seed: seed))
        let h = c.hiddenSize
        let width = (c.numAttentionHeads + 2 * c.kvHeads) * c.kvChannels
        f.add("transformer.embedding.word_embeddings.weight", [c.paddedVocabSize, h], scale: 1)
        for l in 0..<c.numLayers {
            let p = "transformer.encoder.layers.\(l)"
            f.norm(p + ".input_layernorm", h, bias: !c.rmsnorm)
            f.linear(p + ".self_attention.query_key_value", out: width, in: h, bias: c.qkvHasBias)
            f.linear(p + ".self_attention.dense", out: h, in: c.numAttentionHeads * c.kvChannels, bias: c.addBiasLinear)
            f.norm(p + ".post_attention_layernorm", h, bias: !c.rmsnorm)
            let experts = c.moe ? (0..<(c.numExperts ?? 0)).map { "_\($0)" } : [""]
            if c.moe { f.linear(p + ".mlp.router", out: c.numExperts ?? 0, in: h, bias: false) }
            for e in experts {
                f.linear(p + ".mlp.dense_h_to_4h" + e, out: 2 * c.ffnHiddenSize, in: h, bias: c.addBiasLinear)
                f.linear(p + ".mlp.dense_4h_to_h" + e, out: h, in: c.ffnHiddenSize, bias: c.addBiasLinear)
            }
        }
        if c.postLayerNorm { f.norm("transformer.encoder.final_layernorm", h, bias: !c.rmsnorm) }
        if !tied { f.linear("transformer.output_layer", out: c.paddedVocabSize, in: h, bias: false) }
        return InMemoryTensorSource(f.tensors, location: "<random xTrimoPGLM>")
    }
}
