import Foundation

// BERT and RoBERTa as Hugging Face computes them: word + position + token-type embeddings → LayerNorm,
// post-LN blocks (x = LN(x + attn(x)), x = LN(x + ffn(x))), and the masked-LM head
// dense → act → LayerNorm → decoder tied to the word embeddings (+ bias).

/// `BertForMaskedLM`, a bare `BertModel` (no `bert.` prefix, no head), or `RobertaForMaskedLM`.
public final class BertForMaskedLM: LanguageModel {
    public let config: BertConfiguration
    public let isRoberta: Bool
    let words: Embedding
    let positions: Embedding
    let tokenTypes: Embedding?
    let embeddingNorm: LayerNorm
    let attention: [EncoderAttention]
    let mlp: [EncoderMLP]
    let head: MaskedLMHead?

    public var family: String { isRoberta ? "roberta" : "bert" }
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { config.numHiddenLayers }
    public var vocabularySize: Int { head == nil ? 0 : config.vocabSize }
    public var padTokenId: Int { config.padTokenId ?? (isRoberta ? 1 : 0) }

    public init(config c: BertConfiguration, weights w: WeightLoader, roberta: Bool) throws {
        config = c
        isRoberta = roberta
        // The configuration has passed `validate(file:)` (ModelLoader), position_embedding_type included.
        let root = roberta ? "roberta." : "bert."
        let p = w.has(root + "embeddings.word_embeddings.weight") ? root : ""
        let h = c.hiddenSize, v = c.vocabSize
        let table = w.tensor(p + "embeddings.word_embeddings.weight", shape: [v, h])
        words = Embedding(table: table, count: v, dim: h)
        positions = Embedding(table: w.tensor(p + "embeddings.position_embeddings.weight",
                                              shape: [c.maxPositionEmbeddings, h]),
                              count: c.maxPositionEmbeddings, dim: h)
        tokenTypes = c.typeVocabSize > 0
            ? Embedding(table: w.tensor(p + "embeddings.token_type_embeddings.weight", shape: [c.typeVocabSize, h]),
                        count: c.typeVocabSize, dim: h)
            : nil
        embeddingNorm = w.layerNorm(p + "embeddings.LayerNorm", dim: h, eps: c.layerNormEps)
        let names = (0..<c.numHiddenLayers).map { EncoderLayerNames(root: p, layer: $0, preNorm: false) }
        attention = names.map {
            EncoderAttention(w, names: $0, hidden: h, heads: c.numAttentionHeads, eps: c.layerNormEps, rotary: false)
        }
        let activation = try c.activation()
        mlp = names.map {
            EncoderMLP(w, names: $0, hidden: h, intermediate: c.intermediateSize, eps: c.layerNormEps, activation: activation)
        }
        w.ignoredPrefixes += [p + "pooler.", "cls.seq_relationship."]
        let hp = roberta ? "lm_head." : "cls.predictions."
        let (dense, norm) = roberta ? ("lm_head.dense", "lm_head.layer_norm")
                                    : ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm")
        if w.has(dense + ".weight") {
            let decoderWeight = w.optional(hp + "decoder.weight", shape: [v, h]) ?? table   // tied when absent
            let bias = w.optional(hp + "bias", shape: [v])
            let decoderBias = w.optional(hp + "decoder.bias", shape: [v])
            // RoBERTa's head always uses exact GELU; BERT's transform uses hidden_act.
            head = MaskedLMHead(dense: w.linear(dense, out: h, in: h),
                                activation: roberta ? .geluErf : try c.activation(),
                                norm: w.layerNorm(norm, dim: h, eps: c.layerNormEps),
                                decoder: Linear(weight: decoderWeight,
                                                bias: bias ?? decoderBias ?? w.tensor(hp + "bias", shape: [v]),
                                                outFeatures: v, inFeatures: h, storage: w.storage))
        } else {
            head = nil
        }
        try w.finish()
    }

    public func forward(_ input: TokenBatch, options: ForwardOptions) throws -> ForwardOutput {
        let b = input.batch, t = input.length, h = config.hiddenSize
        try sizes.check(input, vocabularySize: config.vocabSize, options: options)
        let positionIds = try positionIds(input)
        let packed = options.skipPadding ? PackedRows(input) : nil
        let n = packed?.rows ?? b * t
        var x = FloatBuffer(b * t * h)                                                // [B, T, H]
        words.lookup(input.ids, out: x.pointer)
        positions.addLookup(positionIds, into: x.pointer)
        tokenTypes?.addLookup(Array(repeating: 0, count: b * t), into: x.pointer)
        if let packed {
            let rows = FloatBuffer(n * h)                                             // [N, H]
            packed.gather(x.pointer, width: h, into: rows.pointer)
            x = rows
        }
        embeddingNorm(x.pointer, rows: n, out: x.pointer)
        /// [B, T, H] from the working rows.
        func unpacked() -> [Float] { packed.map { $0.scatter(x.pointer, width: h) } ?? x.array }
        var hidden: [[Float]] = options.hiddenStates ? [unpacked()] : []
        let mask = AttentionMask.forward(pattern: .bidirectional, attentionMask: input.attentionMask, batch: b, length: t)
        let scratch = EncoderScratch(rows: n, hidden: h, qkvWidth: 3 * h, intermediate: config.intermediateSize)
        for l in 0..<config.numHiddenLayers {
            attention[l](x.pointer, batch: b, length: t, mask: mask, packed: packed, scratch: scratch)
            mlp[l](x.pointer, rows: n, scratch: scratch)
            if options.hiddenStates { hidden.append(unpacked()) }
        }
        var logits = options.logits
            ? head?.logits(x.pointer, rows: n, hidden: h, vocabularySize: config.vocabSize, scratch: scratch) : nil
        if let packed { logits = logits.map { packed.scatter($0, width: config.vocabSize) } }
        return ForwardOutput(batch: b, length: t, hiddenSize: h, vocabularySize: vocabularySize, logits: logits,
                             hiddenStates: hidden, lastHiddenState: unpacked(), contacts: nil)
    }

    /// BERT: 0…T−1. RoBERTa: padding_idx + cumulative count of non-pad tokens, padding_idx on pads.
    func positionIds(_ input: TokenBatch) throws -> [Int32] {
        let t = input.length
        var ids = [Int32](repeating: 0, count: input.batch * t)
        let pad = Int32(padTokenId)
        for b in 0..<input.batch {
            var count: Int32 = 0
            for i in 0..<t {
                if isRoberta {
                    if input.ids[b * t + i] != pad { count += 1; ids[b * t + i] = pad + count } else { ids[b * t + i] = pad }
                } else {
                    ids[b * t + i] = Int32(i)
                }
            }
        }
        if let m = ids.max(), Int(m) >= config.maxPositionEmbeddings {
            throw TransformersError.badInput("sequence too long: position \(m) ≥ max_position_embeddings \(config.maxPositionEmbeddings)")
        }
        return ids
    }
}

/// BERT / RoBERTa `config.json` (Hugging Face keys).
public struct BertConfiguration: Codable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: String
    public var layerNormEps: Float
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var padTokenId: Int?
    public var positionEmbeddingType: String?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case padTokenId = "pad_token_id", positionEmbeddingType = "position_embedding_type"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-12
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? 2
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType)
    }

    func activation() throws -> Activation {
        guard let a = Activation(name: hiddenAct) else {
            throw TransformersError.unsupportedModel(file: "config.json", detail: "hidden_act '\(hiddenAct)' is not supported")
        }
        return a
    }
}
