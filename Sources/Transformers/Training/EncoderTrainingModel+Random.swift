import Foundation
import Tensors

extension EncoderTrainingModel {
    /// A randomly initialised BERT masked LM of the given shape (benchmarks, tests): writes a checkpoint in the
    /// Hugging Face layout to a temporary directory and loads it.
    public static func randomBert(layers: Int, hidden: Int, heads: Int, intermediate: Int, vocab: Int = 30522,
                                  positions: Int = 512, seed: UInt64 = 0) throws -> EncoderTrainingModel {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-random-bert-\(getpid())-\(seed)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config: [String: Any] = [
            "architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": vocab, "hidden_size": hidden,
            "num_hidden_layers": layers, "num_attention_heads": heads, "intermediate_size": intermediate,
            "hidden_act": "gelu", "layer_norm_eps": 1e-12, "max_position_embeddings": positions, "type_vocab_size": 2,
            "pad_token_id": 0, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
        ]
        try CheckpointFiles.writeJSON(config, to: dir.appendingPathComponent("config.json"))
        let set = ParameterSet(specs(family: .bert, hidden: hidden, inter: intermediate, layers: layers, vocab: vocab,
                                     positions: positions, types: 2))
        set.initialise(seed: seed)
        var w = SafetensorsWriter(metadata: ["format": "pt"])
        try set.add(to: &w)
        try w.write(to: dir.appendingPathComponent("model.safetensors"))
        return try EncoderTrainingModel(directory: dir, seed: seed)
    }
}
