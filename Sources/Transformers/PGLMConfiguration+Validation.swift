import Foundation

extension PGLMConfiguration {
    typealias Rules = ConfigurationRules

    /// Throws on a configuration this runtime cannot build: unsupported features, sizes, head grouping,
    /// rotary dims, ids, eps. `file` names where the values come from in messages.
    public func validate(file: String) throws {
        let r = ConfigurationRules(file: file)
        if quantizationBit != 0 {
            throw TransformersError.unsupportedModel(file: file, detail: "quantization_bit \(quantizationBit): quantised checkpoints are not supported (expected 0)")
        }
        if moe {
            let e = numExperts ?? 0, k = expertsPerToken ?? 0
            guard e >= 2, e <= 1_024, k >= 1, k <= e else {
                throw TransformersError.badConfig(file: file, detail: "moe: true needs 2 ≤ num_experts ≤ 1024 and 1 ≤ experts_per_token ≤ num_experts, "
                    + "found num_experts \(numExperts.map(String.init) ?? "absent"), experts_per_token \(expertsPerToken.map(String.init) ?? "absent")")
            }
        }
        guard GatedActivation(rawValue: gluActivation) != nil else {
            throw TransformersError.unsupportedModel(file: file, detail: "glu_activation '\(gluActivation)' (expected geglu or swiglu)")
        }
        try r.size("padded_vocab_size", paddedVocabSize, max: Rules.maxVocabulary)
        try r.size("hidden_size", hiddenSize, max: Rules.maxHidden)
        try r.size("num_layers", numLayers, max: Rules.maxLayers)
        try r.size("num_attention_heads", numAttentionHeads, max: hiddenSize)
        try r.size("kv_channels", kvChannels, max: Rules.maxHidden)
        try r.size("ffn_hidden_size", ffnHiddenSize, max: Rules.maxIntermediate)
        if multiQueryAttention {
            try r.size("multi_query_group_num", multiQueryGroupNum, max: numAttentionHeads)
        }
        try r.multiple("num_attention_heads", numAttentionHeads, of: multiQueryAttention ? "multi_query_group_num" : "num_attention_heads", kvHeads)
        if rotaryEmbedding2d ? kvChannels % 4 != 0 : kvChannels % 2 != 0 {
            throw r.fail("kv_channels", kvChannels, "must be a multiple of \(rotaryEmbedding2d ? 4 : 2) for \(rotaryEmbedding2d ? "2-D " : "")rotary embeddings")
        }
        let _ = try AllocationLimit.product([numAttentionHeads + 2 * kvHeads, kvChannels], "\(file): num_attention_heads × kv_channels")
        if let s = seqLength { try r.size("seq_length", s, max: Rules.maxPositions) }
        try r.tokenId("pad_token_id", padTokenId, vocabulary: paddedVocabSize, vocabularyKey: "padded_vocab_size")
        try r.epsilon("layernorm_epsilon", layernormEpsilon)
        let h = hiddenSize, width = (numAttentionHeads + 2 * kvHeads) * kvChannels
        let experts = moe ? (numExperts ?? 1) : 1
        try r.parameters([[paddedVocabSize, h], [numLayers, width + numAttentionHeads * kvChannels, h],
                          [numLayers, experts, 3 * ffnHiddenSize, h]])
    }

    /// Tokens per sequence the model accepts: seq_length, else `undeclaredPositionLimit`.
    public var positionLimit: Int { seqLength ?? undeclaredPositionLimit }

    /// The checkpoint's embedding table, first and last layer agree with the config (before any allocation).
    func checkAnchors(_ a: CheckpointAnchors) throws {
        let h = hiddenSize
        try a.require(PGLMNames.wordEmbeddings + ".weight", [paddedVocabSize, h], keys: "padded_vocab_size, hidden_size")
        try a.require(PGLMNames(layer: 0).queryKeyValue + ".weight",
                      [(numAttentionHeads + 2 * kvHeads) * kvChannels, h],
                      keys: "num_attention_heads, multi_query_group_num, kv_channels, hidden_size")
        try a.require(PGLMNames(layer: 0).up(expert: moe ? 0 : nil) + ".weight", [2 * ffnHiddenSize, h],
                      keys: "ffn_hidden_size, hidden_size")
        try a.layers(numLayers, key: "num_layers") { PGLMNames(layer: $0).queryKeyValue + ".weight" }
    }
}
