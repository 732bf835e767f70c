import Foundation

/// A safetensors file, memory-mapped and with its header fully validated.
///
/// Opening maps the file and parses only the header; tensor bytes are read from the mapping when
/// asked for. Instances are immutable and safe to share between threads; raw byte views stay valid
/// as long as the `SafetensorsFile` is alive.
///
/// ```swift
/// let f = try SafetensorsFile(path: "model.safetensors")
/// let w = try f.floats("embeddings.word_embeddings.weight")   // [30522 * 384], row-major
/// ```
public final class SafetensorsFile: @unchecked Sendable {
    /// The path the file was opened from.
    public let path: String
    /// The free-form `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Every tensor, in the order of its bytes in the data section.
    public let tensors: [SafetensorsTensorInfo]
    /// Offset of the data section in the file (8 + header length).
    public let dataStart: Int

    private let mapping: MappedFile
    private let index: [String: Int]

    /// Maps and validates the file at `path`; throws `SafetensorsError` for any malformed header.
    public init(path: String) throws {
        self.path = path
        mapping = try MappedFile(path: path)
        let header = try SafetensorsHeader.parse(mapping.bytes, path: path)
        metadata = header.metadata
        tensors = header.tensors
        dataStart = header.dataStart
        var index: [String: Int] = [:]
        index.reserveCapacity(tensors.count)
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    /// Maps and validates the file at `url`.
    public convenience init(url: URL) throws {
        try self.init(path: url.path)
    }

    /// Tensor names in data order.
    public var names: [String] { tensors.map(\.name) }

    /// Whether a tensor of that name exists.
    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// Header entry of tensor `name`.
    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let i = index[name] else { throw SafetensorsError.tensorNotFound(path: path, name: name) }
        return tensors[i]
    }

    /// Element type of tensor `name`.
    public func dtype(_ name: String) throws -> SafetensorsDType { try info(name).dtype }

    /// Shape of tensor `name` (`[]` for a scalar).
    public func shape(_ name: String) throws -> [Int] { try info(name).shape }

    /// The raw little-endian bytes of tensor `name`, straight from the mapping (no copy). Valid while
    /// this `SafetensorsFile` is alive; may be unaligned for files from other writers.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        try rawBytes(info(name))
    }

    func rawBytes(_ t: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        let all = mapping.bytes
        return UnsafeRawBufferPointer(rebasing: all[(dataStart + t.dataOffsets.lowerBound)..<(dataStart + t.dataOffsets.upperBound)])
    }

    /// Drops the resident file pages of tensor `t` (the mapping stays valid).
    func releasePages(_ t: SafetensorsTensorInfo) {
        mapping.releasePages((dataStart + t.dataOffsets.lowerBound)..<(dataStart + t.dataOffsets.upperBound))
    }

    /// Calls `body` with the raw bytes of tensor `name`, keeping the mapping alive meanwhile.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let t = try info(name)
        return try withExtendedLifetime(self) { try body(rawBytes(t)) }
    }
}
