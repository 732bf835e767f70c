import Foundation

/// Named tensors a model is loaded from (a safetensors checkpoint, or tensors built in memory by tests).
public protocol TensorSource {
    /// Where the tensors come from, for error messages.
    var location: String { get }
    /// Every tensor name.
    var tensorNames: [String] { get }
    /// The shape of a tensor, nil when absent.
    func shape(of name: String) -> [Int]?
    /// The values of a floating-point tensor (F32, BF16 or F16 on disk), converted to F32.
    func floats(_ name: String) throws -> [Float]
}

/// Tensors held in memory: name → (shape, values).
public struct InMemoryTensorSource: TensorSource {
    public var tensors: [String: (shape: [Int], values: [Float])]
    public var location: String

    public init(_ tensors: [String: (shape: [Int], values: [Float])], location: String = "<memory>") {
        self.tensors = tensors
        self.location = location
    }

    public var tensorNames: [String] { Array(tensors.keys) }
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    public func floats(_ name: String) throws -> [Float] {
        guard let t = tensors[name] else {
            throw TransformersError.badTensor(file: location, name: name, detail: "no such tensor")
        }
        return t.values
    }
}

/// Takes tensors out of a source by name and shape, collecting every problem so that loading ends with
/// one error listing all missing, unexpected and mis-shaped tensors.
public final class WeightLoader {
    public let source: TensorSource
    public let storage: WeightStorage
    private var used = Set<String>()
    private var missing: [String] = []
    private var mismatched: [String] = []
    private var readErrors: [(name: String, detail: String)] = []
    /// Name suffixes of buffers that checkpoints may carry and the runtime recomputes.
    public var ignoredSuffixes = ["position_ids", "inv_freq", "masked_bias", "attn.bias"]
    /// Name prefixes of tensors that are known but unused (e.g. a pooler the task does not need).
    public var ignoredPrefixes: [String] = []

    public init(source: TensorSource, storage: WeightStorage = .f32) {
        self.source = source
        self.storage = storage
    }

    /// Whether the source holds `name`.
    public func has(_ name: String) -> Bool { source.shape(of: name) != nil }

    /// The tensor `name` with the expected shape; a zero tensor (and a recorded problem) when absent or mis-shaped.
    public func tensor(_ name: String, shape: [Int]) -> [Float] {
        optional(name, shape: shape) ?? {
            missing.append("\(name) \(shape)")
            return [Float](repeating: 0, count: shape.reduce(1, *))
        }()
    }

    /// The tensor `name` when present (shape-checked), nil when absent.
    public func optional(_ name: String, shape: [Int]) -> [Float]? {
        guard let actual = source.shape(of: name) else { return nil }
        used.insert(name)
        var zeros: [Float] { [Float](repeating: 0, count: shape.reduce(1, *)) }   // only when a problem is recorded
        guard actual == shape else {
            mismatched.append("\(name): checkpoint has \(actual), model expects \(shape)")
            return zeros
        }
        do {
            let values = try source.floats(name)
            if let i = firstNonFinite(values) {
                readErrors.append((name, "holds a non-finite value (\(values[i])) at flat index \(i)"))
                return zeros
            }
            return values
        } catch {
            readErrors.append((name, "\(error)"))
            return zeros
        }
    }

    /// A Linear layer from `<prefix>.weight` [out, in] and, when `bias`, `<prefix>.bias` [out].
    public func linear(_ prefix: String, out: Int, in inFeatures: Int, bias: Bool = true) -> Linear {
        let w = tensor(prefix + ".weight", shape: [out, inFeatures])
        let b = bias ? tensor(prefix + ".bias", shape: [out]) : nil
        return Linear(weight: w, bias: b, outFeatures: out, inFeatures: inFeatures, storage: storage)
    }

    /// A LayerNorm from `<prefix>.weight` and `<prefix>.bias`.
    public func layerNorm(_ prefix: String, dim: Int, eps: Float) -> LayerNorm {
        LayerNorm(weight: tensor(prefix + ".weight", shape: [dim]), bias: tensor(prefix + ".bias", shape: [dim]), eps: eps)
    }

    /// Throws one error listing every problem met; call after taking all tensors.
    public func finish() throws {
        let unexpected = source.tensorNames.filter { name in
            !used.contains(name) && !ignoredSuffixes.contains { name.hasSuffix($0) }
                && !ignoredPrefixes.contains { name.hasPrefix($0) }
        }.sorted()
        if readErrors.count == 1 {
            throw TransformersError.badTensor(file: source.location, name: readErrors[0].name, detail: readErrors[0].detail)
        }
        if !readErrors.isEmpty {
            throw TransformersError.badTensor(file: source.location, name: "(several)",
                                              detail: readErrors.map { "'\($0.name)' \($0.detail)" }.joined(separator: "; "))
        }
        if !missing.isEmpty || !unexpected.isEmpty || !mismatched.isEmpty {
            throw TransformersError.checkpointMismatch(directory: source.location, missing: missing,
                                                      unexpected: unexpected, shapeMismatches: mismatched)
        }
    }
}

/// Index of the first NaN or ±Inf in `values`, nil when all are finite. Scans the exponent bits as integers
/// (an OR-reduction the compiler vectorises) and only then searches for the position.
func firstNonFinite(_ values: [Float]) -> Int? {
    let exponent: UInt32 = 0x7F80_0000
    let all = values.withUnsafeBufferPointer { buf -> Bool in
        buf.withMemoryRebound(to: UInt32.self) { bits in
            var found: UInt32 = 0
            for b in bits { found |= (b & exponent) == exponent ? 1 : 0 }
            return found == 0
        }
    }
    return all ? nil : values.firstIndex { !$0.isFinite }
}
