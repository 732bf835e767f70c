/// Bridges between safetensors files and the compute core's `Tensor` / `DType`.

extension SafetensorsDType {
    /// The file element type for a compute-core `DType`.
    public init(_ dtype: DType) {
        self = SafetensorsDType(rawValue: dtype.rawValue)!  // DType's raw values are safetensors names
    }

    /// The compute-core `DType` of this element type, or nil for types it does not have (I8, U16, F8_*, …).
    public var dtype: DType? { DType(rawValue: rawValue) }
}

extension SafetensorsFile {
    /// Tensor `name` as an F32 `Tensor` (from F32, BF16, F16 or F64 storage).
    public func tensor(_ name: String) throws -> Tensor {
        let values = try floats(name)
        return Tensor(shape: try shape(name), data: values)
    }
}

extension SafetensorsCheckpoint {
    /// Tensor `name` as an F32 `Tensor` (from F32, BF16, F16 or F64 storage).
    public func tensor(_ name: String) throws -> Tensor { try file(containing: name).tensor(name) }
}

extension SafetensorsWriter {
    /// Adds a `Tensor`, stored as F32, BF16 or F16 (rounded to nearest even) or F64.
    public mutating func add(_ name: String, tensor: Tensor, as dtype: DType = .f32) throws {
        try add(name, floats: tensor.data, shape: tensor.shape, as: SafetensorsDType(dtype))
    }
}
