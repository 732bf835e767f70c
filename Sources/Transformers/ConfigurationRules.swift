import Foundation

/// Semantic checks of a `config.json` shared by every family, run before anything is allocated. Each failure
/// names the file, the key and its value: `DIR/config.json: num_attention_heads = 0: must be a positive integer`.
struct ConfigurationRules {
    let file: String

    /// Upper bounds no released checkpoint comes near; beyond them a value is a typo or hostile.
    static let maxVocabulary = 10_000_000
    static let maxHidden = 65_536
    static let maxLayers = 1_024
    static let maxIntermediate = 1 << 20
    static let maxPositions = 1 << 20

    func fail(_ key: String, _ value: Any, _ why: String) -> TransformersError {
        .badConfig(file: file, detail: "\(key) = \(value): \(why)")
    }

    /// The sizes the Hugging Face encoder configs (BERT, RoBERTa, ESM) share, under their keys; hidden_size
    /// must divide into the heads.
    func encoderSizes(vocab: Int, hidden: Int, layers: Int, heads: Int, intermediate: Int) throws {
        try size("vocab_size", vocab, max: Self.maxVocabulary)
        try size("hidden_size", hidden, max: Self.maxHidden)
        try size("num_hidden_layers", layers, max: Self.maxLayers)
        try size("num_attention_heads", heads, max: hidden)
        try size("intermediate_size", intermediate, max: Self.maxIntermediate)
        try multiple("hidden_size", hidden, of: "num_attention_heads", heads)
    }

    /// `position_embedding_type`, when the config states one, is the kind `family` implements.
    func positionEmbedding(_ kind: String?, supported: String, family: String) throws {
        guard let kind, kind != supported else { return }
        throw TransformersError.unsupportedModel(
            file: file, detail: "position_embedding_type '\(kind)': only \(family) '\(supported)' is supported")
    }

    /// The checks the encoder configs (BERT, RoBERTa, ESM) share after their sizes: pad id, epsilon,
    /// activation, and the weights of `embeddingRows` embedding rows plus the layers.
    func encoderRest(vocab: Int, hidden h: Int, layers: Int, intermediate f: Int, padTokenId: Int?, eps: Float,
                     activation: String, embeddingRows: Int) throws {
        try tokenId("pad_token_id", padTokenId, vocabulary: vocab, vocabularyKey: "vocab_size")
        try epsilon("layer_norm_eps", eps)
        try self.activation("hidden_act", activation)
        try parameters([[embeddingRows, h], [layers, 4 * h + 2 * f, h]])
    }

    /// `value` in 1...max.
    func size(_ key: String, _ value: Int, max: Int) throws {
        guard value > 0 else { throw fail(key, value, "must be a positive integer") }
        guard value <= max else { throw fail(key, value, "must be at most \(max)") }
    }

    /// `value` in 0...max.
    func count(_ key: String, _ value: Int, max: Int) throws {
        guard value >= 0 else { throw fail(key, value, "must be a non-negative integer") }
        guard value <= max else { throw fail(key, value, "must be at most \(max)") }
    }

    /// `value` is a multiple of `divisorKey`'s value.
    func multiple(_ key: String, _ value: Int, of divisorKey: String, _ divisor: Int) throws {
        guard divisor > 0, value % divisor == 0 else {
            throw fail(key, value, "must be a multiple of \(divisorKey) (\(divisor))")
        }
    }

    /// A token id that must index the vocabulary.
    func tokenId(_ key: String, _ value: Int?, vocabulary: Int, vocabularyKey: String) throws {
        guard let value else { return }
        guard value >= 0 && value < vocabulary else {
            throw fail(key, value, "must be a token id in 0..<\(vocabulary) (\(vocabularyKey))")
        }
    }

    /// A normalisation epsilon: finite and positive.
    func epsilon(_ key: String, _ value: Float) throws {
        guard value.isFinite && value > 0 else { throw fail(key, value, "must be a finite number > 0") }
    }

    /// An activation name this runtime implements.
    func activation(_ key: String, _ name: String) throws {
        guard Activation(name: name) != nil else {
            throw fail(key, "'\(name)'", "unknown activation (expected one of \(Activation.knownNames.joined(separator: ", ")))")
        }
    }

    /// The weights `parameters` would take as F32 (plus their packed copy), checked against the memory limit.
    func parameters(_ parameters: [[Int]]) throws {
        var total = 0
        for dims in parameters {
            total = AllocationLimit.sum([total, try AllocationLimit.product(dims, "\(file): the model config.json describes")])
        }
        try AllocationLimit.check(bytes: total > Int.max / 8 ? Int.max : total * 8,
                                  "\(file): the model described by config.json (\(total) parameters)")
    }
}

/// Checks of anchor tensors against the config before the weights are taken, so a config that disagrees with
/// its checkpoint (a huge vocab_size, more layers than stored) fails with the tensor's name and both shapes
/// instead of allocating what the config describes.
struct CheckpointAnchors {
    let source: TensorSource
    let configFile: String

    /// `name` must exist with `shape`; `keys` says which config keys the expected shape comes from.
    func require(_ name: String, _ shape: [Int], keys: String) throws {
        guard let actual = source.shape(of: name) else {
            throw TransformersError.badTensor(file: source.location, name: name,
                                              detail: "missing; \(configFile) (\(keys)) expects a tensor of shape \(shape)")
        }
        guard actual == shape else {
            throw TransformersError.badTensor(file: source.location, name: name,
                                              detail: "shape \(actual) disagrees with \(configFile): \(keys) expects \(shape)")
        }
    }

    /// The first of `names` present, for checkpoints whose tensors may carry a prefix.
    func first(_ names: [String]) -> String? { names.first { source.shape(of: $0) != nil } }

    /// Layer `count − 1` must exist (`name(i)` names a tensor of layer i) and layer `count` must not.
    func layers(_ count: Int, key: String, _ name: (Int) -> String) throws {
        guard source.shape(of: name(count - 1)) != nil else {
            var stored = 0
            while stored < count && source.shape(of: name(stored)) != nil { stored += 1 }
            throw TransformersError.badConfig(file: configFile, detail:
                "\(key) = \(count): the checkpoint \(source.location) holds \(stored) layers (no '\(name(count - 1))')")
        }
    }
}
