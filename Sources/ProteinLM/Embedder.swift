import Foundation
import Tensors
import Transformers

/// The features of one sequence: tensor name suffix (`mean_representations/6`) → shape and values.
public struct SequenceFeatures {
    public var protein: Protein
    /// Residues embedded (after truncation).
    public var length: Int
    public var tensors: [(name: String, shape: [Int], values: [Float])]
}

/// Computes extract.py's features for batches of proteins: representations of chosen layers (per token,
/// mean over residues, BOS) and ESM-2 contacts. xTrimoPGLM: the layer outputs (the last one after the final
/// LayerNorm) on the residue rows only, without `<eos>` (or the CLM prefix for causal checkpoints).
public final class Embedder {
    public let model: ProteinModel
    public let options: EmbedOptions
    /// Resolved layer indices in 0…L.
    public let layers: [Int]

    public init(model: ProteinModel, options: EmbedOptions) throws {
        self.model = model
        // A truncation beyond the model's positions is cut to them (the longest input the model accepts).
        var options = options
        options.truncation = min(options.truncation, model.maxResidues)
        self.options = options
        layers = try options.resolvedLayers(layerCount: model.layerCount)
        guard options.truncation > 0 else { throw ProteinLMError.badOption(name: "truncation", detail: "must be positive") }

        guard options.tokensPerBatch > 0 else { throw ProteinLMError.badOption(name: "tokens_per_batch", detail: "must be positive") }
        guard !options.include.isEmpty else {
            throw ProteinLMError.badOption(name: "include", detail: "give at least one of mean, per_token, bos, contacts")
        }
        if model.kind == .xtrimopglm {
            if options.include.contains(.bos) {
                throw ProteinLMError.unsupported("include bos: xTrimoPGLM inputs have no BOS token (use mean or per_token)")
            }
            if options.include.contains(.contacts) {
                throw ProteinLMError.unsupported("include contacts: only ESM-2 checkpoints with a contact head predict contacts")
            }
        }
        if options.include.contains(.contacts), let esm = model.model as? EsmForMaskedLM, !esm.hasContactHead {
            throw ProteinLMError.unsupported("\(model.location): include contacts needs a contact head (esm.contact_head.regression.*)")
        }
    }

    /// Tokens of `p` as the model sees it, and the index of its first residue.
    func tokens(_ p: Protein) -> (ids: [Int32], offset: Int) {
        let kept = Array(p.residues.prefix(options.truncation))
        if model.isCausal { return (model.clmTokens(kept), model.clmOffset) }
        return (model.mlmTokens(kept), model.mlmOffset)
    }

    /// Bytes the attention maps kept for contacts ([B, heads, T, T] per layer) may take in one batch.
    public static let contactBudgetBytes = 512 << 20

    /// Largest B·T² allowed when contacts are asked for (the runtime keeps every layer's attention maps).
    var contactCells: Int? {
        guard options.include.contains(.contacts), let esm = model.model as? EsmForMaskedLM else { return nil }
        return Self.contactBudgetBytes / (4 * esm.config.numHiddenLayers * esm.config.numAttentionHeads)
    }

    /// Groups of indices into `proteins`, sorted by length and cut by the token budget as extract.py does:
    /// a batch is flushed when max(length, longest) · (count + 1) would exceed `tokensPerBatch` (and, with
    /// contacts, when the attention maps would pass `contactBudgetBytes`).
    public func batches(_ proteins: [Protein]) -> [[Int]] {
        let cells = contactCells ?? Int.max
        let extra = model.isCausal ? 3 : (model.kind == .esm ? 2 : 1)
        let sizes = proteins.map { min($0.residues.count, options.truncation) + extra }
        let order = sizes.indices.sorted { sizes[$0] < sizes[$1] || (sizes[$0] == sizes[$1] && $0 < $1) }
        var out: [[Int]] = [], buf: [Int] = []
        var longest = 0
        for i in order {
            let sz = sizes[i]
            let t = max(sz, longest)
            if !buf.isEmpty && (t * (buf.count + 1) > options.tokensPerBatch || t * t * (buf.count + 1) > cells) {
                out.append(buf)
                buf = []
                longest = 0
            }
            longest = max(longest, sz)
            buf.append(i)
        }
        if !buf.isEmpty { out.append(buf) }
        return out
    }

    /// Features of one batch, in the order given.
    public func features(_ batch: [Protein]) throws -> [SequenceFeatures] {
        guard !batch.isEmpty else { return [] }
        let laid = Profiler.time(.tokenization) { batch.map(tokens) }
        let include = Set(options.include)
        let onlyLast = layers == [model.layerCount] && model.kind == .esm
        let wantsReps = include.contains(.mean) || include.contains(.perToken) || include.contains(.bos)
        let opts = ForwardOptions(hiddenStates: wantsReps && !onlyLast, logits: false,
                                  contacts: include.contains(.contacts),
                                  mode: model.kind == .xtrimopglm ? (model.isCausal ? .clm : .mlm) : nil,
                                  skipPadding: true)
        let out = try model.forward(laid.map(\.ids), options: opts)
        // Taking the features out of the hidden states (rows, means, copies) is counted as copies/layout.
        return Profiler.time(.copies) { extract(batch, laid: laid, out: out, include: include, wantsReps: wantsReps, onlyLast: onlyLast) }
    }

    private func extract(_ batch: [Protein], laid: [(ids: [Int32], offset: Int)], out: ForwardOutput,
                         include: Set<EmbedFeature>, wantsReps: Bool, onlyLast: Bool) -> [SequenceFeatures] {
        let t = out.length, h = out.hiddenSize
        var result: [SequenceFeatures] = []
        for (b, p) in batch.enumerated() {
            let n = min(p.residues.count, options.truncation), o = laid[b].offset
            var tensors: [(String, [Int], [Float])] = []
            if wantsReps {
                for l in layers {
                    let states = onlyLast ? out.lastHiddenState : out.hiddenStates[l]     // [B, T, H]
                    states.withUnsafeBufferPointer { s in
                        let rows = s.baseAddress! + (b * t + o) * h                        // [n, H]
                        if include.contains(.perToken) {
                            tensors.append(("\(EmbedFeature.perToken.key)/\(l)", [n, h], Array(UnsafeBufferPointer(start: rows, count: n * h))))
                        }
                        if include.contains(.mean) {
                            var acc = [Double](repeating: 0, count: h)
                            for r in 0..<n { for j in 0..<h { acc[j] += Double(rows[r * h + j]) } }
                            tensors.append(("\(EmbedFeature.mean.key)/\(l)", [h], acc.map { Float($0 / Double(n)) }))
                        }
                        if include.contains(.bos) {
                            let bos = s.baseAddress! + b * t * h
                            tensors.append(("\(EmbedFeature.bos.key)/\(l)", [h], Array(UnsafeBufferPointer(start: bos, count: h))))
                        }
                    }
                }
            }
            if include.contains(.contacts), let c = out.contacts {
                let s = t - 2                                                               // [B, S, S]
                var m = [Float](repeating: 0, count: n * n)
                for i in 0..<n { for j in 0..<n { m[i * n + j] = c[(b * s + i) * s + j] } }
                tensors.append((EmbedFeature.contacts.key, [n, n], m))
            }
            result.append(SequenceFeatures(protein: p, length: n, tensors: tensors))
        }
        return result
    }
}
