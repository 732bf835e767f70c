import Foundation

extension BertConfiguration {
    typealias Rules = ConfigurationRules

    /// Throws on a configuration this runtime cannot build: sizes, divisibility, ids, eps, activation.
    func validate(file: String) throws {
        let r = ConfigurationRules(file: file)
        if let kind = positionEmbeddingType, kind != "absolute" {
            throw TransformersError.unsupportedModel(file: file, detail: "position_embedding_type '\(kind)' (expected 'absolute')")
        }
        try r.encoderSizes(vocab: vocabSize, hidden: hiddenSize, layers: numHiddenLayers, heads: numAttentionHeads,
                           intermediate: intermediateSize)
        try r.size("max_position_embeddings", maxPositionEmbeddings, max: Rules.maxPositions)
        try r.count("type_vocab_size", typeVocabSize, max: 1_024)
        try r.tokenId("pad_token_id", padTokenId, vocabulary: vocabSize, vocabularyKey: "vocab_size")
        try r.epsilon("layer_norm_eps", layerNormEps)
        try r.activation("hidden_act", hiddenAct)
        let h = hiddenSize, f = intermediateSize
        try r.parameters([[vocabSize + maxPositionEmbeddings + typeVocabSize, h], [numHiddenLayers, 4 * h + 2 * f, h]])
    }

    /// The checkpoint's embedding tables, first and last layer agree with the config (before any allocation).
    func checkAnchors(_ a: CheckpointAnchors, roberta: Bool) throws {
        let root = roberta ? "roberta." : "bert."
        let p = a.first([root + "embeddings.word_embeddings.weight"]) != nil ? root : ""
        let h = hiddenSize
        try a.require(p + "embeddings.word_embeddings.weight", [vocabSize, h], keys: "vocab_size, hidden_size")
        try a.require(p + "embeddings.position_embeddings.weight", [maxPositionEmbeddings, h],
                      keys: "max_position_embeddings, hidden_size")
        try a.require(EncoderLayerNames(root: p, layer: 0, preNorm: false).intermediate + ".weight", [intermediateSize, h],
                      keys: "intermediate_size, hidden_size")
        try a.layers(numHiddenLayers, key: "num_hidden_layers") { EncoderLayerNames(root: p, layer: $0, preNorm: false).query + ".weight" }
    }
}
