import Foundation

/// Sizes of one forward pass, checked before any activation buffer is allocated.
struct ForwardSizes {
    var layers: Int
    var heads: Int
    var hidden: Int
    /// Width of the widest per-token intermediate buffer (feed-forward, fused QKV).
    var intermediate: Int
    var vocabulary: Int
    /// Tokens per sequence the model accepts.
    var positionLimit: Int
    var family: String

    /// Throws when `input` has ids outside `vocabularySize` (the model's real ids), more tokens than the
    /// positions, or a pass whose buffers would exceed `AllocationLimit`.
    func check(_ input: TokenBatch, vocabularySize: Int, options: ForwardOptions) throws {
        try input.validate(vocabularySize: vocabularySize)
        let b = input.batch, t = input.length
        guard t <= positionLimit else {
            throw TransformersError.badInput("a sequence of \(t) tokens is longer than the \(positionLimit) positions "
                                             + "this \(family) model accepts")
        }
        let what = "a forward pass over \(b) × \(t) tokens"
        let n = try AllocationLimit.product([b, t], what)
        var parts = [try AllocationLimit.product([n, 4 * hidden + intermediate], what),     // x, normed, context, FFN
                     try AllocationLimit.product([heads, t, t], what)]                     // attention scores
        if options.hiddenStates { parts.append(try AllocationLimit.product([layers + 1, n, hidden], what)) }
        if options.logits { parts.append(try AllocationLimit.product([2, n, vocabulary], what)) }
        if options.contacts { parts.append(try AllocationLimit.product([layers + 1, b, heads, t, t], what)) }
        let floats = AllocationLimit.sum(parts)
        try AllocationLimit.check(bytes: floats > Int.max / 4 ? Int.max : floats * 4, what)
    }
}

extension EsmForMaskedLM {
    var sizes: ForwardSizes {
        ForwardSizes(layers: config.numHiddenLayers, heads: config.numAttentionHeads, hidden: config.hiddenSize,
                     intermediate: max(config.intermediateSize, 3 * config.hiddenSize), vocabulary: config.vocabSize,
                     positionLimit: positionLimit, family: "ESM-2")
    }
    /// Tokens per sequence: max_position_embeddings (1026 for ESM-2), else `undeclaredPositionLimit`.
    public var positionLimit: Int { config.positionLimit }
}

extension BertForMaskedLM {
    var sizes: ForwardSizes {
        ForwardSizes(layers: config.numHiddenLayers, heads: config.numAttentionHeads, hidden: config.hiddenSize,
                     intermediate: max(config.intermediateSize, 3 * config.hiddenSize), vocabulary: config.vocabSize,
                     positionLimit: positionLimit, family: family)
    }
    /// Tokens per sequence: max_position_embeddings (RoBERTa: less its padding offset).
    public var positionLimit: Int {
        isRoberta ? max(0, config.maxPositionEmbeddings - padTokenId - 1) : config.maxPositionEmbeddings
    }
}

extension PGLMForLM {
    var sizes: ForwardSizes {
        let c = config
        return ForwardSizes(layers: c.numLayers, heads: c.numAttentionHeads, hidden: max(c.hiddenSize, c.numAttentionHeads * c.kvChannels),
                            intermediate: max(3 * c.ffnHiddenSize, (c.numAttentionHeads + 2 * c.kvHeads) * c.kvChannels),
                            vocabulary: c.paddedVocabSize, positionLimit: positionLimit, family: "xTrimoPGLM")
    }
    /// Tokens per sequence: seq_length when the config states it, else `undeclaredPositionLimit`.
    public var positionLimit: Int { config.positionLimit }

    /// Throws when a KV cache for `batch` × `capacity` tokens exceeds the positions or the memory limit.
    public func checkCache(batch: Int, capacity: Int) throws {
        guard capacity <= positionLimit else {
            throw TransformersError.badInput("\(capacity) tokens per sequence exceed the \(positionLimit) positions of this "
                                             + "xTrimoPGLM model (seq_length, or the documented default)")
        }
        try AllocationLimit.floats([2, config.numLayers, batch, config.kvHeads, capacity, config.kvChannels],
                                   "a KV cache for \(batch) × \(capacity) tokens")
    }
}
