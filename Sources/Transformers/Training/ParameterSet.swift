import Foundation
import Tensors

/// All trainable tensors of a model in one flat F32 buffer, with a gradient buffer of the same layout,
/// addressed by checkpoint name. Optimisers and gradient clipping work on the flat buffers.
public final class ParameterSet {
    /// One named tensor inside the flat buffers.
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let count: Int
        /// Whether AdamW's weight decay applies (matrices yes; biases, norms no).
        public let decay: Bool
    }

    public let entries: [Entry]
    public let count: Int
    /// [count] parameter values.
    public let values: UnsafeMutablePointer<Float>
    /// [count] gradients, accumulated by backward passes until `zeroGradients()`.
    public let gradients: UnsafeMutablePointer<Float>
    private let index: [String: Int]

    /// Lays out `specs` (name, shape, decay) one after another; values and gradients start at zero.
    public init(_ specs: [(name: String, shape: [Int], decay: Bool)]) {
        var list: [Entry] = []
        var offset = 0
        for s in specs {
            let n = s.shape.reduce(1, *)
            list.append(Entry(name: s.name, shape: s.shape, offset: offset, count: n, decay: s.decay))
            offset += n
        }
        entries = list
        count = offset
        values = .allocate(capacity: max(offset, 1))
        values.initialize(repeating: 0, count: max(offset, 1))
        gradients = .allocate(capacity: max(offset, 1))
        gradients.initialize(repeating: 0, count: max(offset, 1))
        index = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($1.name, $0) })
    }

    deinit {
        values.deallocate()
        gradients.deallocate()
    }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Pointer to the values of `name` (which must exist).
    public func value(_ name: String) -> UnsafeMutablePointer<Float> { values + entries[index[name]!].offset }
    /// Pointer to the gradient of `name` (which must exist).
    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> { gradients + entries[index[name]!].offset }

    public func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// Fills matrices (`decay`) with N(0, std²) from `seed`, biases with 0 and norm weights (`*norm*.weight`,
    /// `*LayerNorm.weight`) with 1.
    public func initialise(seed: UInt64, std: Float = 0.02) {
        var rng = SeededRandom(seed: seed)
        for e in entries {
            let p = values + e.offset
            let lower = e.name.lowercased()
            if e.decay {
                for i in 0..<e.count { p[i] = std * Float(Self.gaussian(&rng)) }
            } else if lower.contains("norm") && lower.hasSuffix(".weight") {
                p.update(repeating: 1, count: e.count)
            } else {
                p.update(repeating: 0, count: e.count)
            }
        }
    }

    /// A standard normal draw (Box–Muller).
    static func gaussian(_ rng: inout SeededRandom) -> Double {
        let u1 = max(rng.nextUnit(), 1e-300), u2 = rng.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Reads every entry from a checkpoint (F32/BF16/F16, converted); `aliases` maps an entry name to
    /// the name to use when the entry itself is absent (tied weights). `refusingOthers` throws on a checkpoint
    /// tensor that is no entry, other than RoPE `inv_freq` buffers (it would otherwise be dropped silently from what is trained and saved).
    public func load(from file: SafetensorsFile, aliases: [String: String] = [:], refusingOthers: Bool = false) throws {
        // RoPE `inv_freq` buffers are recomputed from the configuration, not weights.
        if refusingOthers, let extra = file.names.sorted().first(where: { index[$0] == nil && !$0.hasSuffix(".inv_freq") }) {
            throw TransformersError.badTensor(file: file.path, name: extra,
                detail: "not a parameter of this training model (it trains \(entries.count) tensors of this configuration); remove it or train with a configuration that has it")
        }
        for e in entries {
            var name = e.name
            if !file.contains(name), let alt = aliases[name], file.contains(alt) { name = alt }
            guard file.contains(name) else {
                throw TransformersError.badTensor(file: file.path, name: e.name, detail: "tensor missing (expected shape \(e.shape))")
            }
            let v = try file.floats(name)
            guard v.count == e.count else {
                throw TransformersError.badTensor(file: file.path, name: name,
                                                  detail: "expected shape \(e.shape), found \(try file.shape(name))")
            }
            v.withUnsafeBufferPointer { (values + e.offset).update(from: $0.baseAddress!, count: e.count) }
        }
    }

    /// The values of `name` as an array.
    public func array(_ name: String) -> [Float] {
        let e = entries[index[name]!]
        return Array(UnsafeBufferPointer(start: values + e.offset, count: e.count))
    }

    /// Adds every entry (values, or `gradients` when asked) to a safetensors writer, stored as `dtype`.
    public func add(to writer: inout SafetensorsWriter, dtype: SafetensorsDType = .f32, gradients useGrads: Bool = false,
                    prefix: String = "", skip: Set<String> = []) throws {
        let base = useGrads ? gradients : values
        for e in entries where !skip.contains(e.name) {
            let v = Array(UnsafeBufferPointer(start: base + e.offset, count: e.count))
            try writer.add(prefix + e.name, floats: v, shape: e.shape, as: dtype)
        }
    }

    /// √Σ g² over every gradient (computed in Double).
    public func gradientNorm() -> Double {
        var s: Double = 0
        for i in 0..<count { let g = Double(gradients[i]); s += g * g }
        return s.squareRoot()
    }

    /// Scales gradients so their global norm is at most `maxNorm`, as torch `clip_grad_norm_`
    /// (coefficient maxNorm / (norm + 1e-6), applied only when below 1); returns the norm before clipping.
    @discardableResult
    public func clipGradients(maxNorm: Double) -> Double {
        let norm = gradientNorm()
        let coef = maxNorm / (norm + 1e-6)
        if coef < 1 {
            let f = Float(coef)
            for i in 0..<count { gradients[i] *= f }
        }
        return norm
    }
}
