import Foundation
import Tensors

// ESM-2 as Hugging Face `EsmForMaskedLM` computes it: pre-LN blocks, rotary positions, token-dropout rescale,
// final `emb_layer_norm_after`, LM head dense → gelu → LayerNorm → decoder tied to the embeddings.

/// `EsmForMaskedLM`.
public final class EsmForMaskedLM: LanguageModel {
    public let config: EsmConfiguration
    let embedding: Embedding
    let attention: [EncoderAttention]
    let mlp: [EncoderMLP]
    let finalNorm: LayerNorm
    let head: MaskedLMHead
    let contactHead: EsmContactHead?

    public var family: String { "esm" }
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { config.numHiddenLayers }
    public var vocabularySize: Int { config.vocabSize }
    public var padTokenId: Int { config.padTokenId ?? 1 }
    /// Whether the checkpoint carries the contact-regression weights.
    public var hasContactHead: Bool { contactHead != nil }

    public init(config c: EsmConfiguration, weights w: WeightLoader) throws {
        config = c
        let h = c.hiddenSize, v = c.vocabSize
        let table = w.tensor("esm.embeddings.word_embeddings.weight", shape: [v, h])
        embedding = Embedding(table: table, count: v, dim: h)
        let names = (0..<c.numHiddenLayers).map { EncoderLayerNames(root: "esm.", layer: $0, preNorm: true) }
        attention = names.map {
            EncoderAttention(w, names: $0, hidden: h, heads: c.numAttentionHeads, eps: c.layerNormEps, rotary: true)
        }
        let activation = Activation(name: c.hiddenAct) ?? .geluErf   // validated by EsmConfiguration.validate
        mlp = names.map {
            EncoderMLP(w, names: $0, hidden: h, intermediate: c.intermediateSize, eps: c.layerNormEps, activation: activation)
        }
        finalNorm = w.layerNorm("esm.encoder.emb_layer_norm_after", dim: h, eps: c.layerNormEps)
        let decoderWeight = w.optional("lm_head.decoder.weight", shape: [v, h]) ?? table  // tied when absent
        head = MaskedLMHead(dense: w.linear("lm_head.dense", out: h, in: h), activation: .geluErf,
                            norm: w.layerNorm("lm_head.layer_norm", dim: h, eps: c.layerNormEps),
                            decoder: Linear(weight: decoderWeight, bias: w.tensor("lm_head.bias", shape: [v]),
                                            outFeatures: v, inFeatures: h, storage: w.storage))
        let channels = c.numHiddenLayers * c.numAttentionHeads
        if w.has("esm.contact_head.regression.weight") {
            contactHead = EsmContactHead(weight: w.tensor("esm.contact_head.regression.weight", shape: [1, channels]),
                                         bias: w.tensor("esm.contact_head.regression.bias", shape: [1])[0],
                                         eosTokenId: 2)
        } else {
            contactHead = nil
        }
        try w.finish()
    }

    public func forward(_ input: TokenBatch, options: ForwardOptions) throws -> ForwardOutput {
        let b = input.batch, t = input.length, h = config.hiddenSize
        if options.contacts && contactHead == nil {
            throw TransformersError.badInput("this ESM checkpoint has no contact head (esm.contact_head.regression.*)")
        }
        try sizes.check(input, vocabularySize: config.vocabSize, options: options)
        // Contacts need every layer's [T, T] maps per sequence, which the padded path provides.
        let packed = options.skipPadding && !options.contacts ? PackedRows(input) : nil
        let n = packed?.rows ?? b * t
        var x = FloatBuffer(b * t * h)                                                // [B, T, H]
        embedding.lookup(input.ids, out: x.pointer)
        Profiler.time(.other) { applyTokenDropout(x.pointer, input) }
        if let packed {
            let rows = FloatBuffer(n * h)                                             // [N, H]
            packed.gather(x.pointer, width: h, into: rows.pointer)
            x = rows
        }
        /// [B, T, H] from the working rows.
        func unpacked() -> [Float] { packed.map { $0.scatter(x.pointer, width: h) } ?? x.array }
        var hidden: [[Float]] = []
        if options.hiddenStates { hidden.append(unpacked()) }
        let (positions, mask) = Profiler.time(.other) {
            (packed?.positions ?? (0..<(b * t)).map { Int32($0 % t) },
             AttentionMask.forward(pattern: .bidirectional, attentionMask: input.attentionMask, batch: b, length: t))
        }
        let scratch = EncoderScratch(rows: n, hidden: h, qkvWidth: 3 * h, intermediate: config.intermediateSize)
        let heads = config.numAttentionHeads
        let contactSums = options.contacts ? contactHead.map {
            EsmContactHead.Accumulator(head: $0, batch: b, heads: heads, length: t, tokens: input.ids,
                                       attentionMask: input.attentionMask)
        } : nil
        positions.withUnsafeBufferPointer { pos in
            for l in 0..<config.numHiddenLayers {
                let sink: AttentionProbabilitySink? = contactSums.map { sums in
                    { sequence, p, ld in sums.add(layer: l, sequence: sequence, probabilities: p, rowStride: ld) }
                }
                attention[l](x.pointer, batch: b, length: t, positions: pos.baseAddress!, mask: mask, packed: packed,
                             scratch: scratch, probabilities: sink)
                mlp[l](x.pointer, rows: n, scratch: scratch)
                if options.hiddenStates && l < config.numHiddenLayers - 1 { hidden.append(unpacked()) }
            }
        }
        finalNorm(x.pointer, rows: n, out: x.pointer)
        let last = unpacked()
        if options.hiddenStates { hidden.append(last) }
        var logits = options.logits
            ? head.logits(x.pointer, rows: n, hidden: h, vocabularySize: config.vocabSize, scratch: scratch) : nil
        if let packed { logits = logits.map { packed.scatter($0, width: config.vocabSize) } }
        let contacts = contactSums?.result()
        return ForwardOutput(batch: b, length: t, hiddenSize: h, vocabularySize: config.vocabSize, logits: logits,
                             hiddenStates: hidden, lastHiddenState: last, contacts: contacts)
    }

    /// Zeroes `<mask>` rows and scales the rest by 0.88 / (1 − masked/real) per sequence (as during training,
    /// also at inference), then zeroes padding rows.
    func applyTokenDropout(_ x: UnsafeMutablePointer<Float>, _ input: TokenBatch) {
        let t = input.length, h = config.hiddenSize
        let maskId = Int32(config.maskTokenId ?? 32)
        for b in 0..<input.batch {
            var factor: Float = 1
            if config.tokenDropout {
                var masked = 0, real = 0
                for i in 0..<t {
                    if input.ids[b * t + i] == maskId { masked += 1 }
                    real += Int(input.attentionMask[b * t + i])
                }
                let ratio = Float(masked) / Float(max(real, 1))
                factor = 1 - ratio
            }
            for i in 0..<t {
                let row = x + (b * t + i) * h
                let keep = input.attentionMask[b * t + i] != 0
                    && !(config.tokenDropout && input.ids[b * t + i] == maskId)
                if !keep {
                    row.update(repeating: 0, count: h)
                } else if config.tokenDropout {
                    for j in 0..<h { row[j] = row[j] * Float(0.88) / factor }
                }
            }
        }
    }
}

/// ESM `config.json` (Hugging Face keys).
public struct EsmConfiguration: Codable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: String = "gelu"
    public var layerNormEps: Float = 1e-5
    public var positionEmbeddingType: String? = "rotary"
    public var tokenDropout: Bool = true
    public var maskTokenId: Int?
    public var padTokenId: Int?
    public var embLayerNormBefore: Bool?
    /// Positions the model was trained with (1026 for ESM-2: 1022 residues + `<cls>` + `<eos>` + 2 spare);
    /// nil in configs that omit it.
    public var maxPositionEmbeddings: Int?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
        case positionEmbeddingType = "position_embedding_type", tokenDropout = "token_dropout"
        case maskTokenId = "mask_token_id", padTokenId = "pad_token_id", embLayerNormBefore = "emb_layer_norm_before"
        case maxPositionEmbeddings = "max_position_embeddings"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "rotary"
        tokenDropout = try c.decodeIfPresent(Bool.self, forKey: .tokenDropout) ?? true
        maskTokenId = try c.decodeIfPresent(Int.self, forKey: .maskTokenId)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        embLayerNormBefore = try c.decodeIfPresent(Bool.self, forKey: .embLayerNormBefore)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings)
    }

    /// A configuration with ESM-2 defaults for the given shape (benchmarks, tests).
    public init(layers: Int, hidden: Int, heads: Int, intermediate: Int, vocabSize: Int = 33) {
        self.vocabSize = vocabSize
        hiddenSize = hidden
        numHiddenLayers = layers
        numAttentionHeads = heads
        intermediateSize = intermediate
        maskTokenId = 32
        padTokenId = 1
    }
}

/// One Linear holding several PyTorch Linears with the same input, stacked along the output rows.
func fusedLinear(_ w: WeightLoader, _ prefixes: [String], out: Int, in inFeatures: Int) -> Linear {
    var weight: [Float] = [], bias: [Float] = []
    for p in prefixes {
        weight += w.tensor(p + ".weight", shape: [out, inFeatures])
        bias += w.tensor(p + ".bias", shape: [out])
    }
    return Linear(weight: weight, bias: bias, outFeatures: out * prefixes.count, inFeatures: inFeatures,
                  storage: w.storage)
}
