import Foundation
import Tensors

/// A safetensors checkpoint (single file or shards) as a `TensorSource`.
public struct SafetensorsSource: TensorSource {
    public let checkpoint: SafetensorsCheckpoint
    public let location: String

    /// Opens `model.safetensors` or `model.safetensors.index.json` in `directory`.
    public init(directory: URL) throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: directory.appendingPathComponent(SafetensorsCheckpoint.singleFileName).path)
            || fm.fileExists(atPath: directory.appendingPathComponent(SafetensorsCheckpoint.indexFileName).path)
        else { throw TransformersError.noWeights(directory: directory.path) }
        checkpoint = try SafetensorsCheckpoint(directory: directory)
        location = checkpoint.path
    }

    public var tensorNames: [String] { checkpoint.names }
    public func shape(of name: String) -> [Int]? {
        checkpoint.contains(name) ? try? checkpoint.shape(name) : nil
    }
    public func floats(_ name: String) throws -> [Float] { try checkpoint.floats(name) }
}
