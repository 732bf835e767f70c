/// Element types `.npy` files are read and written with: little-endian `<f4` and `<i8`.
public enum NPYDType: String, Sendable, CaseIterable {
    case float32 = "<f4"
    case int64 = "<i8"

    /// Bytes per element.
    public var size: Int { self == .float32 ? 4 : 8 }
}

/// An n-dimensional array as stored in an `.npy` file: a shape and C-order (row-major) elements.
public struct NPYArray: Equatable, Sendable {
    /// Elements of one dtype, flattened in C order.
    public enum Storage: Equatable, Sendable {
        case float32([Float])
        case int64([Int64])
    }

    /// Dimensions; `[]` is a scalar (one element).
    public var shape: [Int]
    /// The elements.
    public var storage: Storage

    /// A float32 array; `values.count` must equal the product of `shape`.
    public init(shape: [Int], float32 values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        storage = .float32(values)
    }

    /// An int64 array; `values.count` must equal the product of `shape`.
    public init(shape: [Int], int64 values: [Int64]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        storage = .int64(values)
    }

    /// `<f4` or `<i8`, from the storage.
    public var dtype: NPYDType {
        if case .float32 = storage { return .float32 }
        return .int64
    }

    /// Number of elements (product of `shape`).
    public var count: Int { shape.reduce(1, *) }

    /// The elements when the dtype is `<f4`.
    public var float32: [Float]? {
        if case .float32(let v) = storage { return v }
        return nil
    }

    /// The elements when the dtype is `<i8`.
    public var int64: [Int64]? {
        if case .int64(let v) = storage { return v }
        return nil
    }
}
