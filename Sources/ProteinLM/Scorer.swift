import Foundation
import Tensors
import Transformers

/// How sequences and variants are scored.
public enum ScoreMethod: String, Sendable, CaseIterable {
    /// Σ log p(mt) − log p(wt) at each mutated position, that position masked (fair-esm predict.py).
    case maskedMarginals = "masked-marginals"
    /// The same from one unmasked pass over the wild type.
    case wtMarginals = "wt-marginals"
    /// Pseudo-log-likelihood: Σ over residues of log p(residue) with that residue alone masked
    /// (variants: PLL(mutant) − PLL(wild type)); pseudo-perplexity = exp(−PLL / L).
    case pll
    /// Causal log-likelihood of the residues after `<gmask><sop><eos>` (variants: LL(mutant) − LL(wild type));
    /// perplexity = exp(−LL / L).
    case clm

    public var needsCausalModel: Bool { self == .clm }
}

/// Masked-LM and causal-LM scores of proteins with an ESM-2 or xTrimoPGLM model. Log-probabilities are
/// log-softmax over the model's whole logit row (33 for ESM-2, 128 for xTrimoPGLM), as the references do.
public final class Scorer {
    public let model: ProteinModel
    /// Token budget of one forward pass (masked copies of a sequence are batched up to it).
    public var tokensPerBatch: Int

    public init(model: ProteinModel, tokensPerBatch: Int = 4096) {
        self.model = model
        self.tokensPerBatch = tokensPerBatch
    }

    func check(_ method: ScoreMethod) throws {
        if method == .clm && model.kind != .xtrimopglm {
            throw ProteinLMError.unsupported("method clm needs an xTrimoPGLM model (ESM-2 is a masked LM: use pll, masked-marginals or wt-marginals)")
        }
    }

    var mode: AttentionMode? { model.kind == .xtrimopglm ? .mlm : nil }

    /// [L][V] log-probabilities at each residue from one unmasked pass.
    public func wildTypeLogProbs(_ residues: [UInt8]) throws -> [[Double]] {
        let tokens = Profiler.time(.tokenization) { model.mlmTokens(residues) }
        let out = try model.forward([tokens], options: ForwardOptions(hiddenStates: false, logits: true, mode: mode))
        let v = out.vocabularySize, o = model.mlmOffset
        return Profiler.time(.other) { out.logits!.withUnsafeBufferPointer { l in
            residues.indices.map { i in logSoftmax(UnsafeBufferPointer(rebasing: l[((o + i) * v)..<((o + i + 1) * v)])) }
        } }
    }

    /// [L][V] log-probabilities at each residue with that residue alone masked.
    public func maskedLogProbs(_ residues: [UInt8]) throws -> [[Double]] {
        let tokens = Profiler.time(.tokenization) { model.mlmTokens(residues) }
        let o = model.mlmOffset, t = tokens.count
        let perBatch = max(1, tokensPerBatch / t)
        var rows: [[Double]] = []
        rows.reserveCapacity(residues.count)
        var start = 0
        while start < residues.count {
            let end = min(residues.count, start + perBatch)
            let copies = Profiler.time(.copies) { (start..<end).map { i -> [Int32] in
                var c = tokens
                c[o + i] = model.maskId
                return c
            } }
            let out = try model.forward(copies, options: ForwardOptions(hiddenStates: false, logits: true, mode: mode))
            let v = out.vocabularySize
            Profiler.time(.other) { out.logits!.withUnsafeBufferPointer { l in
                for (b, i) in (start..<end).enumerated() {
                    let r = (b * t + o + i) * v
                    rows.append(logSoftmax(UnsafeBufferPointer(rebasing: l[r..<(r + v)])))
                }
            } }
            start = end
        }
        return rows
    }

    /// Σ log p(x_i | x without i), each residue masked in turn.
    public func pseudoLogLikelihood(_ residues: [UInt8]) throws -> Double {
        let rows = try maskedLogProbs(residues)
        var s = 0.0
        for (i, b) in residues.enumerated() { s += rows[i][Int(model.id(of: b))] }
        return s
    }

    /// Σ log p(x_{k} | `<gmask><sop><eos>` x_{<k}) over the residues (xTrimoPGLM, causal attention).
    public func causalLogLikelihood(_ residues: [UInt8]) throws -> Double {
        try check(.clm)
        let tokens = Profiler.time(.tokenization) { model.clmTokens(residues) }
        let out = try model.forward([tokens], options: ForwardOptions(hiddenStates: false, logits: true, mode: .clm))
        let v = out.vocabularySize, o = model.clmOffset
        return out.logits!.withUnsafeBufferPointer { l in
            var s = 0.0
            for k in residues.indices {
                let r = (o + k - 1) * v
                s += logSoftmax(UnsafeBufferPointer(rebasing: l[r..<(r + v)]))[Int(tokens[o + k])]
            }
            return s
        }
    }

    /// Per-sequence scores: PLL and pseudo-perplexity (MLM) or log-likelihood and perplexity (CLM).
    public func sequenceScores(_ residues: [UInt8], method: ScoreMethod) throws -> (total: Double, perplexity: Double) {
        try check(method)
        let s: Double
        switch method {
        case .clm: s = try causalLogLikelihood(residues)
        case .pll: s = try pseudoLogLikelihood(residues)
        case .maskedMarginals, .wtMarginals:
            throw ProteinLMError.badOption(name: "method", detail: "\(method.rawValue) scores mutations: give a mutation CSV, or use pll / clm for whole sequences")
        }
        return (s, exp(-s / Double(max(residues.count, 1))))
    }
}

/// Scores variants of one wild type, computing the wild-type tables once.
public final class VariantScorer {
    public let scorer: Scorer
    public let method: ScoreMethod
    public let wildType: [UInt8]
    private var table: [[Double]] = []
    /// PLL or LL of the wild type (pll / clm methods).
    public private(set) var wildTypeScore = 0.0

    public init(scorer: Scorer, method: ScoreMethod, wildType: [UInt8]) throws {
        self.scorer = scorer
        self.method = method
        self.wildType = wildType
        try scorer.check(method)
        switch method {
        case .maskedMarginals: table = try scorer.maskedLogProbs(wildType)
        case .wtMarginals: table = try scorer.wildTypeLogProbs(wildType)
        case .pll: wildTypeScore = try scorer.pseudoLogLikelihood(wildType)
        case .clm: wildTypeScore = try scorer.causalLogLikelihood(wildType)
        }
    }

    /// The variant's score (higher = more like the model's expectation than the wild type).
    public func score(_ v: Variant, file: String) throws -> Double {
        switch method {
        case .maskedMarginals, .wtMarginals:
            if v.sequence.count != wildType.count {
                throw ProteinLMError.badMutation(file: file, line: v.line,
                    detail: "\(method.rawValue) needs substitutions; this variant changes the length (use pll or clm)")
            }
            var s = 0.0
            for m in v.substitutions {
                let row = table[m.position - 1]
                s += row[Int(scorer.model.id(of: m.mutant))] - row[Int(scorer.model.id(of: m.wildType))]
            }
            return s
        case .pll: return try scorer.pseudoLogLikelihood(v.sequence) - wildTypeScore
        case .clm: return try scorer.causalLogLikelihood(v.sequence) - wildTypeScore
        }
    }
}
