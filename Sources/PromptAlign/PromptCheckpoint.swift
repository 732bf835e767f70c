import Foundation
import Transformers

/// Saving and loading the models prompting trains.
public enum PromptCheckpoint {
    /// Tokenizer files copied beside a saved checkpoint, so the directory loads on its own.
    static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                                 "vocab.json", "merges.txt"]

    /// Writes `model` (config + F32 safetensors) and the tokenizer files of `source` into `directory`.
    public static func save(_ model: TrainableModel, to directory: URL, tokenizerFrom source: URL) throws {
        let fm = FileManager.default
        try model.save(to: directory, dtype: .f32)
        for name in tokenizerFiles {
            let from = source.appendingPathComponent(name), to = directory.appendingPathComponent(name)
            guard fm.fileExists(atPath: from.path) else { continue }
            try? fm.removeItem(at: to)
            try fm.copyItem(at: from, to: to)
        }
    }

    /// Loads a BERT or RoBERTa masked LM for training (`seed` drives its dropout stream).
    public static func loadTrainable(_ directory: URL, seed: UInt64) throws -> EncoderTrainingModel {
        let family = try ModelLoader.family(directory: directory)
        guard family == .bert || family == .roberta else {
            throw PromptAlignError.invalidParameter(name: "model", value: directory.path, expected: "a BERT or RoBERTa masked LM")
        }
        return try EncoderTrainingModel(directory: directory, seed: seed)
    }
}
