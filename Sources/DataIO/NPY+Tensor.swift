import Tensors

extension NPYArray {
    /// A `<f4` array holding a tensor's shape and row-major elements.
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, float32: tensor.data)
    }

    /// The array as a tensor (`<f4` only; nil for `<i8`).
    public var tensor: Tensor? {
        guard let values = float32 else { return nil }
        return Tensor(shape: shape, data: values)
    }
}

extension NPY {
    /// Writes a tensor as a `<f4` `.npy` file, atomically.
    public static func write(_ tensor: Tensor, to path: String) throws {
        try write(NPYArray(tensor), to: path)
    }

    /// Reads a `<f4` `.npy` file as a tensor; other dtypes are reported as unsupported.
    public static func readTensor(path: String) throws -> Tensor {
        let array = try read(path: path)
        guard let tensor = array.tensor else {
            throw DataIOError.unsupported(path: path, what: "dtype '\(array.dtype.rawValue)' as a Tensor (needs '<f4')")
        }
        return tensor
    }
}
