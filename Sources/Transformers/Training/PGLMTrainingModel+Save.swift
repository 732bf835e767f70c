import Foundation
import Formats
import Tensors

extension PGLMTrainingModel {
    /// Writes `config.json` (ProteinGLM keys) and `model.safetensors` into `directory`, each through a
    /// temporary file renamed into place.
    public func save(to directory: URL, dtype: SafetensorsDTypeName) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        try parameters.add(to: &writer, dtype: dtype == .bf16 ? .bf16 : .f32)
        try CheckpointFiles.writeAtomically(writer.serialized(), to: directory.appendingPathComponent("model.safetensors"))
        var json = try JSONEncoding.value(config).foundation as? [String: Any] ?? [:]
        json["model_type"] = "ProteinGLM"
        json["architectures"] = ["ProteinGLMForMaskedLM"]
        json["vocab_size"] = config.paddedVocabSize
        json["torch_dtype"] = dtype == .bf16 ? "bfloat16" : "float32"
        json["untie_head"] = true
        try CheckpointFiles.writeJSON(json, to: directory.appendingPathComponent("config.json"))
    }
}

/// Small helpers for writing checkpoint files without leaving half-written output.
public enum CheckpointFiles {
    /// Writes bytes through `AtomicFile` (temporary sibling, fsync, rename over `url`).
    public static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        try AtomicFile.write(bytes, to: url.path)
    }

    /// Pretty, key-sorted JSON written atomically.
    public static func writeJSON(_ object: Any, to url: URL) throws {
        try JSONWriter.write(JSONValue(foundation: object), to: url.path, pretty: true)
    }
}
