import Foundation

/// Seeded random checkpoints in the real tensor layouts, for benchmarks and tests (no files involved).
///
/// The values of a tensor are generated when the model asks for them, so a 650M- or 1B-parameter
/// checkpoint never sits in memory twice (once as the source and once packed in the model).
public enum RandomWeights {
    private struct Filler {
        let seed: UInt64
        var tensors: [String: RandomTensorSource.Spec] = [:]

        /// Uniform values in offset ± scale; each tensor has its own stream (seed and position in the layout).
        mutating func add(_ name: String, _ shape: [Int], scale: Float, offset: Float = 0) {
            let stream = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(tensors.count)
            tensors[name] = RandomTensorSource.Spec(shape: shape, scale: scale, offset: offset, seed: stream)
        }

        mutating func linear(_ p: String, out: Int, in k: Int, bias: Bool = true) {
            add(p + ".weight", [out, k], scale: 1 / Float(k).squareRoot())
            if bias { add(p + ".bias", [out], scale: 0.1) }
        }

        mutating func norm(_ p: String, _ dim: Int, bias: Bool = true) {
            add(p + ".weight", [dim], scale: 0.1, offset: 1)
            if bias { add(p + ".bias", [dim], scale: 0.1) }
        }
    }

    /// An `EsmForMaskedLM` checkpoint (tied decoder, no contact head).
    public static func esm(_ c: EsmConfiguration, seed: UInt64 = 1) -> RandomTensorSource {
        var f = Filler(seed: seed)
        let h = c.hiddenSize
        f.add("esm.embeddings.word_embeddings.weight", [c.vocabSize, h], scale: 1)
        for l in 0..<c.numHiddenLayers {
            let n = EncoderLayerNames(root: "esm.", layer: l, preNorm: true)
            for name in [n.query, n.key, n.value] { f.linear(name, out: h, in: h) }
            f.linear(n.attentionOutput, out: h, in: h)
            f.norm(n.attentionNorm, h)
            f.norm(n.mlpNorm, h)
            f.linear(n.intermediate, out: c.intermediateSize, in: h)
            f.linear(n.output, out: h, in: c.intermediateSize)
        }
        f.norm("esm.encoder.emb_layer_norm_after", h)
        f.linear("lm_head.dense", out: h, in: h)
        f.norm("lm_head.layer_norm", h)
        f.add("lm_head.bias", [c.vocabSize], scale: 0.1)
        return RandomTensorSource(f.tensors, location: "<random esm>")
    }

    /// An xTrimoPGLM checkpoint; `tied` leaves out `transformer.output_layer.*`.
    public static func pglm(_ c: PGLMConfiguration, seed: UInt64 = 1, tied: Bool = false) -> RandomTensorSource {
        var f = Filler(seed: seed)
        let h = c.hiddenSize
        let width = (c.numAttentionHeads + 2 * c.kvHeads) * c.kvChannels
        f.add(PGLMNames.wordEmbeddings + ".weight", [c.paddedVocabSize, h], scale: 1)
        for l in 0..<c.numLayers {
            let n = PGLMNames(layer: l)
            f.norm(n.inputNorm, h, bias: !c.rmsnorm)
            f.linear(n.queryKeyValue, out: width, in: h, bias: c.qkvHasBias)
            f.linear(n.attentionDense, out: h, in: c.numAttentionHeads * c.kvChannels, bias: c.addBiasLinear)
            f.norm(n.postAttentionNorm, h, bias: !c.rmsnorm)
            let experts: [Int?] = c.moe ? (0..<(c.numExperts ?? 0)).map { $0 } : [nil]
            if c.moe { f.linear(n.router, out: c.numExperts ?? 0, in: h, bias: false) }
            for e in experts {
                f.linear(n.up(expert: e), out: 2 * c.ffnHiddenSize, in: h, bias: c.addBiasLinear)
                f.linear(n.down(expert: e), out: h, in: c.ffnHiddenSize, bias: c.addBiasLinear)
            }
        }
        if c.postLayerNorm { f.norm(PGLMNames.finalNorm, h, bias: !c.rmsnorm) }
        if !tied { f.linear(PGLMNames.outputLayer, out: c.paddedVocabSize, in: h, bias: false) }
        return RandomTensorSource(f.tensors, location: "<random xTrimoPGLM>")
    }
}

/// Tensors whose values are drawn when asked for: uniform in offset ± scale from a seeded stream per tensor.
public struct RandomTensorSource: TensorSource {
    public struct Spec: Sendable {
        public var shape: [Int]
        public var scale: Float
        public var offset: Float
        public var seed: UInt64
    }

    public let specs: [String: Spec]
    public let location: String

    public init(_ specs: [String: Spec], location: String) {
        self.specs = specs
        self.location = location
    }

    public var tensorNames: [String] { Array(specs.keys) }
    public func shape(of name: String) -> [Int]? { specs[name]?.shape }

    /// The same values on every call and platform.
    public func floats(_ name: String) throws -> [Float] {
        guard let s = specs[name] else {
            throw TransformersError.badTensor(file: location, name: name, detail: "no such tensor")
        }
        var rng = SeededRandom(seed: s.seed)
        let n = s.shape.reduce(1, *)
        return [Float](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = s.offset + s.scale * (Float(rng.nextUnit()) * 2 - 1) }
            count = n
        }
    }
}
