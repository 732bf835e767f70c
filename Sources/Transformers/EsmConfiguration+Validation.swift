import Foundation

/// Rotary models whose config states no position limit accept at most this many tokens per sequence.
public let undeclaredPositionLimit = 16_384

extension EsmConfiguration {
    /// Throws on a configuration this runtime cannot build: sizes, divisibility, ids, eps, activation.
    func validate(file: String) throws {
        let r = ConfigurationRules(file: file)
        try r.positionEmbedding(positionEmbeddingType, supported: "rotary", family: "ESM-2")
        if embLayerNormBefore == true {
            throw TransformersError.unsupportedModel(file: file, detail: "emb_layer_norm_before: true (ESM-1b style) is not supported")
        }
        try r.encoderSizes(vocab: vocabSize, hidden: hiddenSize, layers: numHiddenLayers, heads: numAttentionHeads,
                           intermediate: intermediateSize)
        if (hiddenSize / numAttentionHeads) % 2 != 0 {
            throw r.fail("hidden_size", hiddenSize, "hidden_size / num_attention_heads = \(hiddenSize / numAttentionHeads) must be even for rotary embeddings")
        }
        if let p = maxPositionEmbeddings { try r.size("max_position_embeddings", p, max: ConfigurationRules.maxPositions) }
        try r.tokenId("mask_token_id", maskTokenId ?? 32, vocabulary: vocabSize, vocabularyKey: "vocab_size")
        try r.encoderRest(vocab: vocabSize, hidden: hiddenSize, layers: numHiddenLayers, intermediate: intermediateSize,
                          padTokenId: padTokenId, eps: layerNormEps, activation: hiddenAct, embeddingRows: vocabSize)
    }

    /// Tokens per sequence the model accepts: max_position_embeddings, else `undeclaredPositionLimit`.
    public var positionLimit: Int { maxPositionEmbeddings ?? undeclaredPositionLimit }

    /// The checkpoint's embedding table, first and last layer agree with the config (before any allocation).
    func checkAnchors(_ a: CheckpointAnchors) throws {
        let h = hiddenSize
        try a.require("esm.embeddings.word_embeddings.weight", [vocabSize, h], keys: "vocab_size, hidden_size")
        try a.require(EncoderLayerNames(root: "esm.", layer: 0, preNorm: true).intermediate + ".weight", [intermediateSize, h],
                      keys: "intermediate_size, hidden_size")
        try a.layers(numHiddenLayers, key: "num_hidden_layers") { EncoderLayerNames(root: "esm.", layer: $0, preNorm: true).query + ".weight" }
    }
}
