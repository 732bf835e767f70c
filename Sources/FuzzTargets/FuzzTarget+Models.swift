import Foundation
import Tensors
import Transformers

extension FuzzTarget {
    /// Opens the bytes as a safetensors file and reads every tensor the way the loaders do.
    static func safetensors(_ bytes: [UInt8]) throws {
        let file = try SafetensorsFile(path: FuzzScratch.write(bytes, to: "in.safetensors"))
        for t in file.tensors {
            _ = try file.rawBytes(t.name)
            switch t.dtype {
            case .f32, .f16, .bf16, .f64: _ = try file.floats(t.name)
            case .i64, .i32, .u32, .i16, .u16, .i8, .u8, .bool: _ = try file.int64s(t.name)
            default: break
            }
        }
    }

    /// The checkpoint whose family the config most likely names, so a valid-looking config reaches the
    /// weight checks instead of stopping at a missing file.
    static func checkpoint(for bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self).lowercased()
        if text.contains("glm") || text.contains("num_layers") { return "pglm-tiny" }
        if text.contains("esm") { return "esm2-tiny" }
        if text.contains("roberta") { return "roberta-tiny" }
        return "bert-tiny"
    }

    /// Loads a model directory holding the bytes as `config.json` and a tiny real checkpoint, then runs
    /// one short forward pass (a config that loads must agree with its weights).
    static func config(_ bytes: [UInt8], fixtures: URL) throws {
        let dir = try FuzzScratch.freshDirectory("model")
        try Data(bytes).write(to: dir.appendingPathComponent("config.json"))
        let weights = fixtures.appendingPathComponent("models/\(checkpoint(for: bytes))/model.safetensors")
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("model.safetensors"),
                                                   withDestinationURL: weights)
        let model = try ModelLoader.load(directory: dir)
        let vocab = max(model.vocabularySize, 1)
        let ids = [0, 1, 2, 3].map { $0 % vocab }
        _ = try model.forward(TokenBatch(sequences: [ids], padId: model.padTokenId))
    }
}
