import Foundation
import Tensors
import Tokenizers
import Transformers

/// A protein language model with the token layout of its family, taken from its tokenizer: ESM-2
/// (`<cls>` residues `<eos>`) or xTrimoPGLM (MLM: residues `<eos>`; CLM: `<gmask><sop><eos>` residues;
/// GLM: context `<gmask><sop>` span).
public final class ProteinModel {
    public enum Kind: String, Sendable { case esm, xtrimopglm }

    public let model: LanguageModel
    public let kind: Kind
    /// Where the model was loaded from ("" for models built in memory).
    public let location: String
    /// The bidirectional (MLM) tokenizer; `clm` and `glm` share its table.
    public let tokenizer: ProteinTokenizer
    let clm: ProteinTokenizer
    let glm: ProteinTokenizer
    public let padId: Int32
    public let maskId: Int32
    public let eosId: Int32
    /// `<cls>` for ESM-2, nil for xTrimoPGLM.
    public let bosId: Int32?

    /// `tokenizer` defaults to the family's built-in table (what the released tokenizer files hold).
    public init(model: LanguageModel, tokenizer: ProteinTokenizer? = nil, location: String = "") throws {
        self.model = model
        self.location = location
        switch model.family {
        case "esm": kind = .esm
        case "xtrimopglm": kind = .xtrimopglm
        default:
            throw ProteinLMError.unsupported("\(location): a \(model.family) model is not a protein language model (ESM-2 or xTrimoPGLM)")
        }
        let flavor: ProteinTokenizer.Flavor = kind == .esm ? .esm : .xtrimopglm
        let t = (tokenizer?.flavor == flavor ? tokenizer : nil)
            ?? (kind == .esm ? ProteinTokenizer.esm() : ProteinTokenizer.xtrimopglm())
        self.tokenizer = t.with(mode: .mlm)
        clm = t.with(mode: .clm)
        glm = t.with(mode: .glm)
        func id(_ name: String) throws -> Int32 {
            guard let i = t.id(of: name) else {
                throw ProteinLMError.unsupported("\(location): the tokenizer has no \(name) token")
            }
            guard i < model.vocabularySize else {
                throw ProteinLMError.unsupported("\(location): tokenizer id \(i) of \(name) is outside the model's \(model.vocabularySize) logits")
            }
            return Int32(i)
        }
        padId = try id("<pad>"); maskId = try id("<mask>"); eosId = try id("<eos>")
        bosId = kind == .esm ? try id("<cls>") : nil
        for b in ResiduePolicy.alphabet where t.id(ofResidue: b) == nil {
            throw ProteinLMError.unsupported("\(location): the tokenizer has no token for residue '\(Character(Unicode.Scalar(b)))'")
        }
    }

    /// Loads an ESM-2 or xTrimoPGLM model directory with its tokenizer files (built-in tables when absent).
    public static func load(_ directory: URL, storage: WeightStorage = .f32) throws -> ProteinModel {
        let m = try ModelLoader.load(directory: directory, options: LoadOptions(storage: storage))
        // No tokenizer file at all means the family's built-in table; a tokenizer file that does not load is an error.
        let t: ProteinTokenizer?
        do {
            t = try TokenizerLoader.load(path: directory.path) as? ProteinTokenizer
        } catch TokenizerError.notFound {
            t = nil
        }
        return try ProteinModel(model: m, tokenizer: t, location: directory.path)
    }

    public var layerCount: Int { model.layerCount }

    /// Residues one sequence may have in the bidirectional (MLM) layout: the model's positions less the specials.
    public var maxResiduesMLM: Int { max(0, model.positionLimit - mlmTokens([]).count) }
    /// Residues one sequence may have in the causal (CLM) layout `<gmask><sop><eos>` + residues.
    public var maxResiduesCLM: Int { max(0, model.positionLimit - clmTokens([]).count) }
    /// Residues of one sequence as scored or embedded (CLM layout for causal checkpoints).
    public var maxResidues: Int { isCausal ? maxResiduesCLM : maxResiduesMLM }
    public var hiddenSize: Int { model.hiddenSize }
    public var vocabularySize: Int { model.vocabularySize }

    /// Whether the model scores by its causal (CLM) head: an xTrimoPGLM checkpoint with `is_causal`.
    public var isCausal: Bool { (model as? PGLMForLM)?.config.isCausal ?? false }

    /// The id of residue letter `b` (upper-case ASCII from `ResiduePolicy`, checked at init).
    @inline(__always)
    public func id(of b: UInt8) -> Int32 { tokenizer.id(ofResidue: b)! }

    /// The letter of residue id `id`, nil for specials.
    public func residue(of id: Int32) -> UInt8? { tokenizer.residue(of: id) }

    /// Index of residue 0 in the bidirectional (MLM) token layout.
    public var mlmOffset: Int { tokenizer.residueOffset }
    /// Index of residue 0 in the CLM layout `<gmask><sop><eos>` + residues.
    public var clmOffset: Int { clm.residueOffset }

    /// Bidirectional input: ESM `<cls>` + residues + `<eos>`; xTrimoPGLM residues + `<eos>`.
    public func mlmTokens(_ residues: [UInt8]) -> [Int32] { tokenizer.encode(residues: residues) }

    /// Causal input `<gmask><sop><eos>` + residues (xTrimoPGLM).
    public func clmTokens(_ residues: [UInt8]) -> [Int32] { clm.encode(residues: residues) }

    /// GLM input: `context` + `<gmask><sop>` + `span` (xTrimoPGLM).
    public func glmTokens(context: [UInt8], span: [UInt8]) -> [Int32] { glm.encode(residues: context, second: span) }

    /// Runs a right-padded batch.
    func forward(_ sequences: [[Int32]], options: ForwardOptions) throws -> ForwardOutput {
        let t = sequences.map(\.count).max() ?? 0
        let batch = Profiler.time(.copies) { () -> TokenBatch in       // batching: right-padding to the longest
            var ids: [Int32] = [], mask: [Int32] = []
            ids.reserveCapacity(sequences.count * t)
            for s in sequences {
                ids += s + Array(repeating: padId, count: t - s.count)
                mask += Array(repeating: 1, count: s.count) + Array(repeating: 0, count: t - s.count)
            }
            return TokenBatch(batch: sequences.count, length: t, ids: ids, attentionMask: mask)
        }
        let out = try model.forward(batch, options: options)
        // Finite weights can still overflow; NaN embeddings or scores must not be written as results.
        if let i = out.lastHiddenState.firstIndex(where: { !$0.isFinite }) {
            throw ProteinLMError.unsupported("\(location.isEmpty ? "the model" : location): the forward pass produced a non-finite "
                + "value (\(out.lastHiddenState[i])) in sequence \(i / max(1, t * out.hiddenSize) + 1) of a batch; the weights overflow")
        }
        return out
    }
}

/// Log-softmax of one row of logits, in Double for stable sums.
@inline(__always)
func logSoftmax(_ row: UnsafeBufferPointer<Float>) -> [Double] {
    var m = -Double.infinity
    for v in row { m = max(m, Double(v)) }
    var s = 0.0
    for v in row { s += exp(Double(v) - m) }
    let lse = m + log(s)
    return row.map { Double($0) - lse }
}
