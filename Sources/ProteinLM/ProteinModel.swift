import Foundation
import Transformers

/// A protein language model with the token layout of its family: ESM-2 (`<cls>` residues `<eos>`, mask 32)
/// or xTrimoPGLM (MLM: residues `<eos>`, mask 28; CLM: `<gmask><sop><eos>` residues).
public final class ProteinModel {
    public enum Kind: String, Sendable { case esm, xtrimopglm }

    public let model: LanguageModel
    public let kind: Kind
    /// Where the model was loaded from ("" for models built in memory).
    public let location: String
    /// Id of the first residue letter `L`; the 25 letters follow in `ResiduePolicy.alphabet` order.
    let residueBase: Int32
    public let padId: Int32
    public let maskId: Int32
    public let eosId: Int32
    /// `<cls>` for ESM-2, nil for xTrimoPGLM.
    public let bosId: Int32?

    public init(model: LanguageModel, location: String = "") throws {
        self.model = model
        self.location = location
        switch model.family {
        case "esm":
            kind = .esm
            residueBase = 4; padId = 1; maskId = 32; eosId = 2; bosId = 0
        case "xtrimopglm":
            kind = .xtrimopglm
            residueBase = 1; padId = 0; maskId = PGLMForLM.maskTokenId; eosId = PGLMForLM.eosTokenId; bosId = nil
        default:
            throw ProteinLMError.unsupported("\(location): a \(model.family) model is not a protein language model (ESM-2 or xTrimoPGLM)")
        }
    }

    /// Loads an ESM-2 or xTrimoPGLM model directory.
    public static func load(_ directory: URL, storage: WeightStorage = .f32) throws -> ProteinModel {
        let m = try ModelLoader.load(directory: directory, options: LoadOptions(storage: storage))
        return try ProteinModel(model: m, location: directory.path)
    }

    public var layerCount: Int { model.layerCount }
    public var hiddenSize: Int { model.hiddenSize }
    public var vocabularySize: Int { model.vocabularySize }

    /// Whether the model scores by its causal (CLM) head: an xTrimoPGLM checkpoint with `is_causal`.
    public var isCausal: Bool { (model as? PGLMForLM)?.config.isCausal ?? false }

    /// The id of residue letter `b` (upper-case ASCII from `ResiduePolicy`).
    @inline(__always)
    public func id(of b: UInt8) -> Int32 { residueBase + Int32(ResiduePolicy.index[Int(b)]) }

    /// The letter of residue id `id`, nil for specials.
    public func residue(of id: Int32) -> UInt8? {
        let i = Int(id - residueBase)
        return i >= 0 && i < ResiduePolicy.alphabet.count ? ResiduePolicy.alphabet[i] : nil
    }

    /// Index of residue 0 in the bidirectional (MLM) token layout.
    public var mlmOffset: Int { kind == .esm ? 1 : 0 }
    /// Index of residue 0 in the CLM layout `<gmask><sop><eos>` + residues.
    public static let clmOffset = 3

    /// Bidirectional input: ESM `<cls>` + residues + `<eos>`; xTrimoPGLM residues + `<eos>`.
    public func mlmTokens(_ residues: [UInt8]) -> [Int32] {
        var t: [Int32] = []
        t.reserveCapacity(residues.count + 2)
        if let bos = bosId { t.append(bos) }
        for b in residues { t.append(id(of: b)) }
        t.append(eosId)
        return t
    }

    /// Causal input `<gmask><sop><eos>` + residues (xTrimoPGLM).
    public func clmTokens(_ residues: [UInt8]) -> [Int32] {
        [PGLMForLM.gmaskTokenId, PGLMForLM.sopTokenId, PGLMForLM.eosTokenId] + residues.map { id(of: $0) }
    }

    /// Runs a right-padded batch.
    func forward(_ sequences: [[Int32]], options: ForwardOptions) throws -> ForwardOutput {
        let t = sequences.map(\.count).max() ?? 0
        var ids: [Int32] = [], mask: [Int32] = []
        ids.reserveCapacity(sequences.count * t)
        for s in sequences {
            ids += s + Array(repeating: padId, count: t - s.count)
            mask += Array(repeating: 1, count: s.count) + Array(repeating: 0, count: t - s.count)
        }
        return try model.forward(TokenBatch(batch: sequences.count, length: t, ids: ids, attentionMask: mask),
                                 options: options)
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
