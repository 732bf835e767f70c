import Foundation
import Formats
import Tensors

/// BERT (`BertForMaskedLM`) and RoBERTa (`RobertaForMaskedLM`: post-LN, learned positions) and ESM-2
/// (`EsmForMaskedLM`, pre-LN, rotary, token dropout) masked LMs in training mode: forward caches activations,
/// backward accumulates gradients into a parameter set named as the checkpoint. Loaded from and saved to the
/// Hugging Face layout.
public final class EncoderTrainingModel: TrainableModel {
    public enum Family: String, Sendable { case bert, roberta, esm }
    public let family: Family
    public let parameters: ParameterSet
    public var dropout: Float = 0
    /// How many of the top encoder layers backward reaches (0: the head only); the embeddings get gradients
    /// only when every layer does. Continued masked-LM training freezes the rest of the encoder this way.
    public var trainedLayers: Int = .max
    let hidden: Int, inter: Int, heads: Int, layers: Int, vocab: Int, eps: Float
    let maskTokenId: Int32, tokenDropout: Bool
    /// The padding token (`pad_token_id`): its word-embedding row gets no gradient from lookups, and RoBERTa
    /// numbers positions around it.
    public let padTokenId: Int32
    /// Rows of the learned position table (position ids must stay below it); unbounded for ESM-2's rotary.
    public let maxPositions: Int
    public var vocabularySize: Int { vocab }
    /// Encoder layers.
    public var layerCount: Int { layers }
    /// The checkpoint's config.json as loaded (written back unchanged by `save`).
    let rawConfig: [String: Any]
    /// Tensors of the checkpoint that are not trained (ESM contact head, rotary buffers), saved back as loaded.
    var frozen: [(name: String, shape: [Int], values: [Float])] = []
    var rng: SeededRandom
    var caches: [EncoderLayerCache] = []
    var embCache: EncoderEmbeddingCache?
    var headCache: EncoderHeadCache?
    var grads: EncoderBackwardBuffers?
    var last: TrainingBatch?
    var usedDropout = false

    var prefix: String { Self.prefix(family) }
    /// BERT and RoBERTa share the post-LN layer and the learned position / token-type embeddings.
    var postLN: Bool { family != .esm }
    func layerNames(_ l: Int) -> EncoderLayerNames { EncoderLayerNames(root: prefix, layer: l, preNorm: family == .esm) }
    var headNames: (dense: String, norm: String, bias: String) {
        family == .bert ? ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.bias")
                        : ("lm_head.dense", "lm_head.layer_norm", "lm_head.bias")
    }
    static func prefix(_ f: Family) -> String {
        switch f { case .bert: "bert."; case .roberta: "roberta."; case .esm: "esm." }
    }

    /// Loads `config.json` + `model.safetensors` of a BERT, RoBERTa or ESM-2 masked-LM checkpoint.
    public init(directory: URL, seed: UInt64 = 0) throws {
        let configURL = directory.appendingPathComponent("config.json")
        let fam = try ModelLoader.family(directory: directory)
        rawConfig = try ConfigFile.value(configURL).foundation as? [String: Any] ?? [:]
        switch fam {
        case .bert, .roberta:
            let c = try ConfigFile.decode(BertConfiguration.self, from: configURL)
            try c.validate(file: configURL.path)
            try c.checkAnchors(CheckpointAnchors(source: SafetensorsSource(directory: directory), configFile: configURL.path),
                               roberta: fam == .roberta)
            family = fam == .bert ? .bert : .roberta
            hidden = c.hiddenSize; inter = c.intermediateSize; heads = c.numAttentionHeads; layers = c.numHiddenLayers
            vocab = c.vocabSize; eps = c.layerNormEps; maskTokenId = -1; tokenDropout = false
            padTokenId = Int32(c.padTokenId ?? (fam == .bert ? 0 : 1))
            maxPositions = c.maxPositionEmbeddings
            // RoBERTa's head applies exact GELU whatever hidden_act says; the layers follow hidden_act.
            guard c.hiddenAct == "gelu" else {
                throw TransformersError.unsupportedModel(file: configURL.path, detail: "training supports hidden_act gelu, got \(c.hiddenAct)")
            }
        case .esm:
            let c = try ConfigFile.decode(EsmConfiguration.self, from: configURL)
            try c.validate(file: configURL.path)
            try c.checkAnchors(CheckpointAnchors(source: SafetensorsSource(directory: directory), configFile: configURL.path))
            family = .esm
            hidden = c.hiddenSize; inter = c.intermediateSize; heads = c.numAttentionHeads; layers = c.numHiddenLayers
            vocab = c.vocabSize; eps = c.layerNormEps; maskTokenId = Int32(c.maskTokenId ?? 32); tokenDropout = c.tokenDropout
            padTokenId = Int32(c.padTokenId ?? 1)   // validated: inside the vocabulary
            maxPositions = .max
        default:
            throw TransformersError.unsupportedModel(file: configURL.path, detail: "EncoderTrainingModel trains bert, roberta and esm checkpoints")
        }
        rng = SeededRandom(seed: seed)
        let specs = Self.specs(family: family, hidden: hidden, inter: inter, layers: layers, vocab: vocab,
                               positions: (rawConfig["max_position_embeddings"] as? Int) ?? 512,
                               types: (rawConfig["type_vocab_size"] as? Int) ?? 2)
        let set = ParameterSet(specs)
        parameters = set
        let file = try SafetensorsFile(url: directory.appendingPathComponent("model.safetensors"))
        // RoBERTa's decoder bias is the same tensor as lm_head.bias (saved under either name).
        try set.load(from: file, aliases: ["lm_head.bias": "lm_head.decoder.bias"])
        // The tied decoder (weight, and RoBERTa's bias) is written back through the trained tensors it shares.
        for name in file.names where set.entry(name) == nil && !name.hasSuffix("decoder.weight") && name != "lm_head.decoder.bias" {
            if let dt = try? file.dtype(name), [.f32, .bf16, .f16].contains(dt) {
                frozen.append((name, try file.shape(name), try file.floats(name)))
            }
        }
    }

    /// Restarts the dropout stream (a resumed run then draws the same masks as an uninterrupted one).
    public func reseedDropout(_ seed: UInt64) { rng = SeededRandom(seed: seed) }

    static func specs(family: Family, hidden h: Int, inter f: Int, layers: Int, vocab v: Int, positions: Int, types: Int)
        -> [(name: String, shape: [Int], decay: Bool)] {
        let p = prefix(family), postLN = family != .esm
        var s: [(String, [Int], Bool)] = [(p + "embeddings.word_embeddings.weight", [v, h], true)]
        if postLN {
            s += [(p + "embeddings.position_embeddings.weight", [positions, h], true),
                  (p + "embeddings.token_type_embeddings.weight", [types, h], true),
                  (p + "embeddings.LayerNorm.weight", [h], false), (p + "embeddings.LayerNorm.bias", [h], false)]
        }
        for l in 0..<layers {
            let q = EncoderLayerNames(root: p, layer: l, preNorm: !postLN)
            if !postLN { s += [(q.attentionNorm + ".weight", [h], false), (q.attentionNorm + ".bias", [h], false)] }
            // query, key, value weights (and then biases) adjacent: one [3H, H] matrix, one [3H] bias.
            s += [(q.query + ".weight", [h, h], true), (q.key + ".weight", [h, h], true), (q.value + ".weight", [h, h], true),
                  (q.query + ".bias", [h], false), (q.key + ".bias", [h], false), (q.value + ".bias", [h], false),
                  (q.attentionOutput + ".weight", [h, h], true), (q.attentionOutput + ".bias", [h], false)]
            let ln1 = postLN ? q.attentionNorm : q.mlpNorm
            s += [(ln1 + ".weight", [h], false), (ln1 + ".bias", [h], false),
                  (q.intermediate + ".weight", [f, h], true), (q.intermediate + ".bias", [f], false),
                  (q.output + ".weight", [h, f], true), (q.output + ".bias", [h], false)]
            if postLN { s += [(q.mlpNorm + ".weight", [h], false), (q.mlpNorm + ".bias", [h], false)] }
        }
        if family == .esm {
            s += [(p + "encoder.emb_layer_norm_after.weight", [h], false), (p + "encoder.emb_layer_norm_after.bias", [h], false)]
        }
        let hd = family == .bert ? "cls.predictions.transform." : "lm_head."
        let norm = family == .bert ? "LayerNorm" : "layer_norm"
        s += [(hd + "dense.weight", [h, h], true), (hd + "dense.bias", [h], false),
              (hd + norm + ".weight", [h], false), (hd + norm + ".bias", [h], false),
              (family == .bert ? "cls.predictions.bias" : "lm_head.bias", [v], false)]
        return s
    }
}
