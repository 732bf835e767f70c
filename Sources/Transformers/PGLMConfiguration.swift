import Foundation

/// xTrimoPGLM / ProteinGLM `config.json` (the checkpoint's own keys, Megatron/ChatGLM naming).
public struct PGLMConfiguration: Codable, Sendable {
    public var numLayers: Int
    public var hiddenSize: Int
    public var ffnHiddenSize: Int
    public var numAttentionHeads: Int
    /// Head dim; defaults to 64 when absent, as the official `ProteinGLMConfig` does (not hidden / heads).
    public var kvChannels: Int
    /// Logit width (128 in the released models).
    public var paddedVocabSize: Int
    public var layernormEpsilon: Float
    /// `geglu` or `swiglu`.
    public var gluActivation: String
    public var rmsnorm: Bool
    public var deepnorm: Bool
    public var applyResidualConnectionPostLayernorm: Bool
    public var postLayerNorm: Bool
    public var addBiasLinear: Bool
    public var addQkvBias: Bool
    public var multiQueryAttention: Bool
    public var multiQueryGroupNum: Int
    public var rotaryEmbedding2d: Bool
    public var isCausal: Bool
    public var quantizationBit: Int
    public var moe: Bool
    /// With `moe`: experts per MLP, and how many of them each token uses (top-k of the router).
    public var numExperts: Int?
    public var expertsPerToken: Int?
    public var seqLength: Int?
    public var padTokenId: Int?

    enum CodingKeys: String, CodingKey {
        case numLayers = "num_layers", hiddenSize = "hidden_size", ffnHiddenSize = "ffn_hidden_size"
        case numAttentionHeads = "num_attention_heads", kvChannels = "kv_channels"
        case paddedVocabSize = "padded_vocab_size", vocabSize = "vocab_size"
        case layernormEpsilon = "layernorm_epsilon", gluActivation = "glu_activation", rmsnorm, deepnorm
        case applyResidualConnectionPostLayernorm = "apply_residual_connection_post_layernorm"
        case postLayerNorm = "post_layer_norm", addBiasLinear = "add_bias_linear", addQkvBias = "add_qkv_bias"
        case multiQueryAttention = "multi_query_attention", multiQueryGroupNum = "multi_query_group_num"
        case rotaryEmbedding2d = "rotary_embedding_2d", isCausal = "is_causal"
        case numExperts = "num_experts", expertsPerToken = "experts_per_token"
        case quantizationBit = "quantization_bit", moe, seqLength = "seq_length", padTokenId = "pad_token_id"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        numLayers = try c.decode(Int.self, forKey: .numLayers)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        ffnHiddenSize = try c.decode(Int.self, forKey: .ffnHiddenSize)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        kvChannels = try c.decodeIfPresent(Int.self, forKey: .kvChannels) ?? Self.officialKVChannels
        if let v = try c.decodeIfPresent(Int.self, forKey: .paddedVocabSize) {
            paddedVocabSize = v
        } else {
            paddedVocabSize = try c.decode(Int.self, forKey: .vocabSize)
        }
        layernormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layernormEpsilon) ?? 1e-5
        gluActivation = try c.decodeIfPresent(String.self, forKey: .gluActivation) ?? "geglu"
        rmsnorm = try c.decodeIfPresent(Bool.self, forKey: .rmsnorm) ?? false
        deepnorm = try c.decodeIfPresent(Bool.self, forKey: .deepnorm) ?? true
        applyResidualConnectionPostLayernorm =
            try c.decodeIfPresent(Bool.self, forKey: .applyResidualConnectionPostLayernorm) ?? deepnorm
        if deepnorm { applyResidualConnectionPostLayernorm = true }
        postLayerNorm = try c.decodeIfPresent(Bool.self, forKey: .postLayerNorm) ?? true
        addBiasLinear = try c.decodeIfPresent(Bool.self, forKey: .addBiasLinear) ?? true
        addQkvBias = try c.decodeIfPresent(Bool.self, forKey: .addQkvBias) ?? true
        multiQueryAttention = try c.decodeIfPresent(Bool.self, forKey: .multiQueryAttention) ?? false
        multiQueryGroupNum = try c.decodeIfPresent(Int.self, forKey: .multiQueryGroupNum) ?? 1
        rotaryEmbedding2d = try c.decodeIfPresent(Bool.self, forKey: .rotaryEmbedding2d) ?? false
        isCausal = try c.decodeIfPresent(Bool.self, forKey: .isCausal) ?? false
        quantizationBit = try c.decodeIfPresent(Int.self, forKey: .quantizationBit) ?? 0
        moe = try c.decodeIfPresent(Bool.self, forKey: .moe) ?? false
        numExperts = try c.decodeIfPresent(Int.self, forKey: .numExperts)
        expertsPerToken = try c.decodeIfPresent(Int.self, forKey: .expertsPerToken)
        seqLength = try c.decodeIfPresent(Int.self, forKey: .seqLength)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(numLayers, forKey: .numLayers)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(ffnHiddenSize, forKey: .ffnHiddenSize)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(kvChannels, forKey: .kvChannels)
        try c.encode(paddedVocabSize, forKey: .paddedVocabSize)
        try c.encode(layernormEpsilon, forKey: .layernormEpsilon)
        try c.encode(gluActivation, forKey: .gluActivation)
        try c.encode(rmsnorm, forKey: .rmsnorm)
        try c.encode(deepnorm, forKey: .deepnorm)
        try c.encode(applyResidualConnectionPostLayernorm, forKey: .applyResidualConnectionPostLayernorm)
        try c.encode(postLayerNorm, forKey: .postLayerNorm)
        try c.encode(addBiasLinear, forKey: .addBiasLinear)
        try c.encode(addQkvBias, forKey: .addQkvBias)
        try c.encode(multiQueryAttention, forKey: .multiQueryAttention)
        try c.encode(multiQueryGroupNum, forKey: .multiQueryGroupNum)
        try c.encode(rotaryEmbedding2d, forKey: .rotaryEmbedding2d)
        try c.encode(isCausal, forKey: .isCausal)
        try c.encode(quantizationBit, forKey: .quantizationBit)
        try c.encode(moe, forKey: .moe)
        try c.encodeIfPresent(numExperts, forKey: .numExperts)
        try c.encodeIfPresent(expertsPerToken, forKey: .expertsPerToken)
        try c.encodeIfPresent(seqLength, forKey: .seqLength)
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
    }

    /// A configuration with the released models' defaults for the given shape (benchmarks, tests).
    public init(layers: Int, hidden: Int, heads: Int, ffn: Int, vocabSize: Int = 128, causal: Bool = true,
                rotary2D: Bool = false) {
        numLayers = layers
        hiddenSize = hidden
        ffnHiddenSize = ffn
        numAttentionHeads = heads
        kvChannels = heads > 0 ? hidden / heads : 0   // heads = 0 is reported by validate(file:)
        paddedVocabSize = vocabSize
        layernormEpsilon = 1e-5
        gluActivation = "geglu"
        rmsnorm = false
        deepnorm = true
        applyResidualConnectionPostLayernorm = true
        postLayerNorm = true
        addBiasLinear = true
        addQkvBias = true
        multiQueryAttention = false
        multiQueryGroupNum = 1
        rotaryEmbedding2d = rotary2D
        isCausal = causal
        quantizationBit = 0
        moe = false
    }

    /// `kv_channels` of the official configuration class when config.json leaves it out.
    public static let officialKVChannels = 64
    /// Whether `query_key_value` has a bias: the official attention gives it one when either
    /// `add_bias_linear` or `add_qkv_bias` is true.
    public var qkvHasBias: Bool { addBiasLinear || addQkvBias }
    /// Key/value heads: `multi_query_group_num` with multi-query attention, else one per query head.
    public var kvHeads: Int { multiQueryAttention ? multiQueryGroupNum : numAttentionHeads }
    /// DeepNorm residual scale α = √(2·num_layers), 1 without DeepNorm.
    public var alpha: Float { deepnorm ? Float((2.0 * Double(numLayers)).squareRoot()) : 1 }
}
