import Foundation

/// A batch of token sequences, right-padded to one length.
public struct TokenBatch {
    public let batch: Int
    public let length: Int
    /// [B, T] token ids.
    public var ids: [Int32]
    /// [B, T] 1 = real token, 0 = padding.
    public var attentionMask: [Int32]
    /// [B, T] explicit position ids (xTrimoPGLM); nil = derived from the mode.
    public var positionIds: [Int32]?
    /// [B, T] explicit block position ids for 2-D RoPE (xTrimoPGLM); nil = derived from the mode.
    public var blockPositionIds: [Int32]?
    /// [B, T, T] explicit additive attention bias (0 or very negative) replacing the mode's mask.
    public var attentionBias: [Float]?

    public init(batch: Int, length: Int, ids: [Int32], attentionMask: [Int32]) {
        precondition(ids.count == batch * length && attentionMask.count == batch * length)
        self.batch = batch
        self.length = length
        self.ids = ids
        self.attentionMask = attentionMask
    }

    /// Right-pads `sequences` with `padId` to `length` (default: the longest one).
    public init(sequences: [[Int]], padId: Int, length: Int? = nil) {
        let t = max(length ?? 0, sequences.map(\.count).max() ?? 0)
        var ids: [Int32] = [], mask: [Int32] = []
        ids.reserveCapacity(sequences.count * t)
        for s in sequences {
            ids += s.map { Int32($0) } + Array(repeating: Int32(padId), count: t - s.count)
            mask += Array(repeating: 1, count: s.count) + Array(repeating: 0, count: t - s.count)
        }
        self.init(batch: sequences.count, length: t, ids: ids, attentionMask: mask)
    }

    /// Throws when an id falls outside an embedding table of `count` rows.
    public func validate(vocabularySize count: Int) throws {
        if let i = ids.firstIndex(where: { $0 < 0 || Int($0) >= count }) {
            throw TransformersError.badInput("token id \(ids[i]) at sequence \(i / max(length, 1)), position \(i % max(length, 1)) "
                                             + "is outside the embedding table (0..<\(count))")
        }
    }

    /// Real tokens per sequence.
    public var lengths: [Int] {
        (0..<batch).map { b in (0..<length).reduce(0) { $0 + Int(attentionMask[b * length + $1] != 0 ? 1 : 0) } }
    }
}

/// How an xTrimoPGLM-style model attends (encoders ignore it).
public enum AttentionMode: String, Sendable, CaseIterable {
    /// Bidirectional (masked LM).
    case mlm
    /// Causal over the whole sequence (`<gmask><sop><eos>` + residues).
    case clm
    /// Bidirectional up to and including `<gmask>`, causal from `<sop>` on, 2-D positions.
    case glm
}

/// What a forward pass should compute besides the logits.
public struct ForwardOptions {
    /// Keep the L+1 hidden states (embedding output, each layer's output; the last one after the final norm
    /// where the architecture has one), as transformers' `output_hidden_states`.
    public var hiddenStates: Bool
    /// Compute the LM head logits.
    public var logits: Bool
    /// ESM-2: compute contact probabilities (needs the contact head's weights).
    public var contacts: Bool
    /// xTrimoPGLM: the attention mode; nil = the config's `is_causal`.
    public var mode: AttentionMode?
    /// Encoders (ESM-2, BERT): compute only the real tokens of a right-padded batch, laid end to end, and
    /// return zeros at padded positions. Real positions keep the same bits; padded ones are not computed.
    public var skipPadding: Bool

    public init(hiddenStates: Bool = true, logits: Bool = true, contacts: Bool = false, mode: AttentionMode? = nil,
                skipPadding: Bool = false) {
        self.hiddenStates = hiddenStates
        self.logits = logits
        self.contacts = contacts
        self.mode = mode
        self.skipPadding = skipPadding
    }
}

/// The result of a forward pass over a [B, T] batch.
public struct ForwardOutput {
    public let batch: Int
    public let length: Int
    public let hiddenSize: Int
    public let vocabularySize: Int
    /// [B, T, V], nil for models without an LM head or when not asked.
    public var logits: [Float]?
    /// L+1 tensors [B, T, H] (empty when not asked).
    public var hiddenStates: [[Float]]
    /// [B, T, H] the last hidden state (always present).
    public var lastHiddenState: [Float]
    /// [B, T−2, T−2] ESM-2 contact probabilities.
    public var contacts: [Float]?
}

/// A loaded model: ESM-2, BERT, RoBERTa or xTrimoPGLM.
public protocol LanguageModel: AnyObject {
    /// `esm`, `bert`, `roberta` or `xtrimopglm`.
    var family: String { get }
    var hiddenSize: Int { get }
    var layerCount: Int { get }
    /// Width of the logits (0 when there is no LM head).
    var vocabularySize: Int { get }
    /// The padding id inputs are padded with.
    var padTokenId: Int { get }
    /// Tokens per sequence the model accepts (its position table, the config's stated length, or a documented
    /// default for rotary models that state none); longer inputs are an error.
    var positionLimit: Int { get }
    func forward(_ input: TokenBatch, options: ForwardOptions) throws -> ForwardOutput
}

extension LanguageModel {
    public func forward(_ input: TokenBatch) throws -> ForwardOutput {
        try forward(input, options: ForwardOptions())
    }
}
