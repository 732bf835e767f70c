import Foundation
import Transformers
import CLISupport

/// The model shapes `bench model` and `bench embed` build with random weights in the real layout.
enum BenchShapes {
    /// ESM-2 checkpoints by their fair-esm names: layers, hidden, 20 heads, FFN 4 × hidden.
    static let esm: [(name: String, config: EsmConfiguration)] = [
        ("t6_8M", EsmConfiguration(layers: 6, hidden: 320, heads: 20, intermediate: 1280)),
        ("t12_35M", EsmConfiguration(layers: 12, hidden: 480, heads: 20, intermediate: 1920)),
        ("t30_150M", EsmConfiguration(layers: 30, hidden: 640, heads: 20, intermediate: 2560)),
        ("t33_650M", EsmConfiguration(layers: 33, hidden: 1280, heads: 20, intermediate: 5120)),
    ]

    /// xTrimoPGLM decode shapes (GeGLU, DeepNorm, 1-D RoPE, vocabulary 128): the small 12 × 768 one and a
    /// 1B-class one (24 layers, hidden 2048, 32 heads × 64, FFN 5461).
    static let pglm: [(name: String, config: PGLMConfiguration)] = [
        ("12x768", PGLMConfiguration(layers: 12, hidden: 768, heads: 12, ffn: 2048)),
        ("1B", PGLMConfiguration(layers: 24, hidden: 2048, heads: 32, ffn: 5461)),
    ]

    static func esmConfig(_ name: String) -> EsmConfiguration? { esm.first { $0.name == name }?.config }
    static func pglmConfig(_ name: String) -> PGLMConfiguration? { pglm.first { $0.name == name }?.config }

    /// A comma list of names, each one of `choices`; an unknown name is an error naming it and the choices.
    static func list(_ text: String, option: String, choices: [String]) throws -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ArgumentError.unknownChoice(option, text, choices) }
        for n in names where !choices.contains(n) { throw ArgumentError.unknownChoice(option, n, choices) }
        return names
    }

    /// A comma list of positive integers (`--lengths`, `--batches`).
    static func integers(_ text: String, option: String) throws -> [Int] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = items.compactMap { Int($0) }.filter { $0 > 0 }
        guard !items.isEmpty, values.count == items.count else { throw ArgumentError.badValue(option, text) }
        return values
    }

    /// `--weights f32,bf16` as storages.
    static func storages(_ text: String) throws -> [WeightStorage] {
        try list(text, option: "--weights", choices: ["f32", "bf16"]).compactMap(WeightStorage.init(rawValue:))
    }
}
