import Foundation
import Formats

/// The weights of a model directory as one name → tensor view: either a single
/// `model.safetensors` or shards listed by `model.safetensors.index.json` (Hugging Face layout).
///
/// Every shard is mapped and validated when the checkpoint opens; tensor bytes are read lazily.
///
/// ```swift
/// let ckpt = try SafetensorsCheckpoint(directory: URL(fileURLWithPath: "models/esm2-tiny"))
/// let w = try ckpt.floats("esm.embeddings.word_embeddings.weight")
/// ```
public final class SafetensorsCheckpoint: @unchecked Sendable {
    /// Name of the single-file checkpoint inside a model directory.
    public static let singleFileName = "model.safetensors"
    /// Name of the shard index inside a model directory.
    public static let indexFileName = "model.safetensors.index.json"

    /// The index file, or the single file when not sharded.
    public let path: String
    /// The opened files (one unless sharded), in shard-name order.
    public let files: [SafetensorsFile]
    /// Index `metadata` values rendered as strings (e.g. `total_size`), or the single file's `__metadata__`.
    public let metadata: [String: String]
    /// Every tensor name, sorted.
    public let names: [String]
    private let location: [String: SafetensorsFile]

    /// Opens whatever `url` names: a model directory, an index `.json`, or a single `.safetensors` file.
    public convenience init(url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            try self.init(directory: url)
        } else if url.pathExtension == "json" {
            try self.init(index: url)
        } else {
            try self.init(file: SafetensorsFile(url: url))
        }
    }

    /// Opens `model.safetensors` in `directory` if present (as transformers prefers), else
    /// `model.safetensors.index.json`; throws `.noCheckpoint` when neither exists.
    public convenience init(directory: URL) throws {
        let fm = FileManager.default
        let single = directory.appendingPathComponent(Self.singleFileName)
        let index = directory.appendingPathComponent(Self.indexFileName)
        if fm.fileExists(atPath: single.path) {
            try self.init(file: SafetensorsFile(url: single))
        } else if fm.fileExists(atPath: index.path) {
            try self.init(index: index)
        } else {
            throw SafetensorsError.noCheckpoint(directory: directory.path)
        }
    }

    /// A checkpoint made of one file.
    public init(file: SafetensorsFile) {
        path = file.path
        files = [file]
        metadata = file.metadata
        names = file.names.sorted()
        var location: [String: SafetensorsFile] = [:]
        for n in file.names { location[n] = file }
        self.location = location
    }

    /// Opens a sharded checkpoint from its index file; every shard it lists must exist, be valid,
    /// and hold the tensors the `weight_map` assigns to it.
    public init(index url: URL) throws {
        let indexPath = url.path
        path = indexPath
        let mapped = try MappedFile(path: indexPath)
        let root: JSONValue
        do {
            root = try JSONReader.parse(mapped.bytes, path: indexPath, depthLimit: 128)
        } catch let e as FormatsError {
            if case let .duplicateKey(at, key, first, _) = e {
                throw SafetensorsError.invalidIndex(path: indexPath, offset: at.offset,
                                                    expected: "key '\(key)' only once (first at byte \(first))")
            }
            throw SafetensorsError(e, path: indexPath)
        }
        func bad(_ node: JSONValue, _ expected: String) -> SafetensorsError {
            .invalidIndex(path: indexPath, offset: node.location.offset, expected: expected)
        }
        guard case let .object(top) = root.kind else { throw bad(root, "a JSON object, found \(root.typeName)") }
        var meta: [String: String] = [:]
        var weightMap: [(name: String, shard: String)]?
        for (key, node) in top {
            switch key {
            case "metadata":
                if case let .object(items) = node.kind {
                    for (k, v) in items {
                        switch v.kind {
                        case let .string(s): meta[k] = s
                        case let .integer(n): meta[k] = String(n)
                        case let .number(_, text): meta[k] = text
                        case let .bool(b): meta[k] = String(b)
                        default: break  // nested values are not kept
                        }
                    }
                }
            case "weight_map":
                guard case let .object(items) = node.kind else {
                    throw bad(node, "'weight_map' to be an object of tensor name → shard file, found \(node.typeName)")
                }
                weightMap = try items.map { name, v in
                    guard case let .string(shard) = v.kind else {
                        throw bad(v, "a shard file name for '\(name)', found \(v.typeName)")
                    }
                    guard Self.isSafeShardName(shard) else {
                        throw bad(v, "a shard file name relative to the index directory, without '..', found '\(shard)'")
                    }
                    return (name, shard)
                }
            default:
                break
            }
        }
        guard let weightMap else { throw bad(root, "a 'weight_map' object") }
        metadata = meta

        let dir = url.deletingLastPathComponent()
        var shards: [String: SafetensorsFile] = [:]
        for shard in Set(weightMap.map(\.shard)).sorted() {
            let shardURL = dir.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw SafetensorsError.missingShard(index: indexPath, shard: shard)
            }
            shards[shard] = try SafetensorsFile(url: shardURL)
        }
        var location: [String: SafetensorsFile] = [:]
        for (name, shard) in weightMap {
            let file = shards[shard]!
            guard file.contains(name) else {
                throw SafetensorsError.tensorNotInShard(index: indexPath, name: name, shard: shard)
            }
            location[name] = file
        }
        files = shards.keys.sorted().map { shards[$0]! }
        names = location.keys.sorted()
        self.location = location
    }

    /// Shard names are joined to the index directory, so they must stay inside it.
    private static func isSafeShardName(_ s: String) -> Bool {
        !s.isEmpty && !s.hasPrefix("/") && !s.split(separator: "/").contains("..")
    }

    /// Whether the checkpoint has a tensor of that name.
    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// The file holding tensor `name`.
    public func file(containing name: String) throws -> SafetensorsFile {
        guard let f = location[name] else { throw SafetensorsError.tensorNotFound(path: path, name: name) }
        return f
    }

    /// Header entry of tensor `name`.
    public func info(_ name: String) throws -> SafetensorsTensorInfo { try file(containing: name).info(name) }

    /// Shape of tensor `name`.
    public func shape(_ name: String) throws -> [Int] { try info(name).shape }

    /// Element type of tensor `name`.
    public func dtype(_ name: String) throws -> SafetensorsDType { try info(name).dtype }

    /// Tensor `name` as Float (F32, BF16, F16, F64).
    public func floats(_ name: String) throws -> [Float] { try file(containing: name).floats(name) }

    /// Tensor `name` as Int64 (integer dtypes).
    public func int64s(_ name: String) throws -> [Int64] { try file(containing: name).int64s(name) }

    /// Raw bytes of tensor `name`, valid while this checkpoint is alive.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer { try file(containing: name).rawBytes(name) }
}
