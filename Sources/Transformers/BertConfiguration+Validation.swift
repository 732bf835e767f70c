import Foundation

extension BertConfiguration {
    /// Throws on a configuration this runtime cannot build: sizes, divisibility, ids, eps, activation.
    func validate(file: String) throws {
        let r = ConfigurationRules(file: file)
        try r.positionEmbedding(positionEmbeddingType, supported: "absolute", family: "BERT/RoBERTa")
        try r.encoderSizes(vocab: vocabSize, hidden: hiddenSize, layers: numHiddenLayers, heads: numAttentionHeads,
                           intermediate: intermediateSize)
        try r.size("max_position_embeddings", maxPositionEmbeddings, max: ConfigurationRules.maxPositions)
        try r.count("type_vocab_size", typeVocabSize, max: 1_024)
        try r.encoderRest(vocab: vocabSize, hidden: hiddenSize, layers: numHiddenLayers, intermediate: intermediateSize,
                          padTokenId: padTokenId, eps: layerNormEps, activation: hiddenAct,
                          embeddingRows: vocabSize + maxPositionEmbeddings + typeVocabSize)
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
