import Foundation

/// Options for loading a model directory.
public struct LoadOptions: Sendable {
    /// How matrix weights are kept in memory (computation is F32 either way).
    public var storage: WeightStorage

    public init(storage: WeightStorage = .f32) {
        self.storage = storage
    }
}

/// Loads a model directory as a hub serves it (`config.json` + `model.safetensors` or shards), choosing the
/// family from `model_type` / `architectures`.
public enum ModelLoader {
    /// The families this runtime implements.
    public enum Family: String, Sendable {
        case esm, bert, roberta, xtrimopglm
    }

    /// The family named by `config.json` in `directory`.
    public static func family(directory: URL) throws -> Family {
        try ModelDirectory.check(directory)
        let url = directory.appendingPathComponent("config.json")
        let probe = try ConfigFile.decode(ConfigProbe.self, from: url)
        let type = (probe.modelType ?? "").lowercased()
        let arch = (probe.architectures ?? []).joined(separator: " ").lowercased()
        if type == "esm" || arch.contains("esmfor") || arch.contains("esmmodel") { return .esm }
        if type == "roberta" || arch.contains("roberta") { return .roberta }
        if type == "bert" || arch.contains("bertfor") || arch.contains("bertmodel") { return .bert }
        if ["xtrimopglm", "proteinglm", "chatglm", "glm", "pglm"].contains(type)
            || arch.contains("glm") || probe.numLayers != nil && probe.padded != nil {
            return .xtrimopglm
        }
        throw TransformersError.unsupportedModel(
            file: url.path,
            detail: "model_type '\(probe.modelType ?? "")' / architectures \(probe.architectures ?? []) is not one of "
                + "esm, bert, roberta, xTrimoPGLM/ProteinGLM")
    }

    /// Loads the model in `directory`.
    public static func load(directory: URL, options: LoadOptions = LoadOptions()) throws -> LanguageModel {
        let fam = try family(directory: directory)
        let config = directory.appendingPathComponent("config.json")
        // Validate the config, then its agreement with the checkpoint's tensor shapes, before allocating weights.
        var source: SafetensorsSource?
        func anchors() throws -> CheckpointAnchors {
            let s = try SafetensorsSource(directory: directory)
            source = s
            return CheckpointAnchors(source: s, configFile: config.path)
        }
        var weights: WeightLoader { WeightLoader(source: source!, storage: options.storage) }
        switch fam {
        case .esm:
            let c = try ConfigFile.decode(EsmConfiguration.self, from: config)
            try c.validate(file: config.path)
            try c.checkAnchors(anchors())
            return try EsmForMaskedLM(config: c, weights: weights)
        case .bert, .roberta:
            let c = try ConfigFile.decode(BertConfiguration.self, from: config)
            try c.validate(file: config.path)
            try c.checkAnchors(anchors(), roberta: fam == .roberta)
            return try BertForMaskedLM(config: c, weights: weights, roberta: fam == .roberta)
        case .xtrimopglm:
            let c = try ConfigFile.decode(PGLMConfiguration.self, from: config)
            try c.validate(file: config.path)
            try c.checkAnchors(anchors())
            return try PGLMForLM(config: c, weights: weights)
        }
    }

    /// Loads an xTrimoPGLM directory as its concrete type (for generation and the KV cache).
    public static func loadPGLM(directory: URL, options: LoadOptions = LoadOptions()) throws -> PGLMForLM {
        guard let m = try load(directory: directory, options: options) as? PGLMForLM else {
            throw TransformersError.unsupportedModel(file: directory.appendingPathComponent("config.json").path,
                                                     detail: "not an xTrimoPGLM / ProteinGLM checkpoint")
        }
        return m
    }

    private struct ConfigProbe: Decodable {
        var modelType: String?
        var architectures: [String]?
        var numLayers: Int?
        var padded: Int?
        enum CodingKeys: String, CodingKey {
            case modelType = "model_type", architectures, numLayers = "num_layers", padded = "padded_vocab_size"
        }
    }
}
