/// The result of encoding one text (or one pair of texts): parallel arrays, one entry per token.
public struct Encoding: Equatable, Sendable {
    /// Token ids.
    public var ids: [Int]
    /// Token type (segment) ids: 0 for the first text, 1 for the second of a pair (BERT convention).
    public var typeIds: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// 1 for tokens added by the template or padding (`[CLS]`, `<eos>`, `[PAD]` …), 0 for tokens of the text.
    public var specialTokensMask: [Int]
    /// Character offsets into the original text, counted in Unicode scalars (Python `str` indices);
    /// tokens of the second text of a pair index into that text; added tokens have `0..<0`.
    public var offsets: [Range<Int>]
    /// Which text of a pair each token comes from (0 or 1), nil for added tokens.
    public var sequenceIds: [Int?]
    /// The vocabulary, to spell `tokens`.
    let vocabulary: TokenSpelling

    /// Number of tokens, padding included.
    public var count: Int { ids.count }

    /// The token strings (as stored in the vocabulary, e.g. `##ing` or `Ġthe`).
    public var tokens: [String] { ids.map { vocabulary.token($0) ?? "<\($0)>" } }

    init(vocabulary: TokenSpelling, capacity: Int = 0) {
        self.vocabulary = vocabulary
        ids = []; typeIds = []; attentionMask = []; specialTokensMask = []; offsets = []; sequenceIds = []
        ids.reserveCapacity(capacity); offsets.reserveCapacity(capacity)
    }

    mutating func append(id: Int, typeId: Int, special: Bool, offset: Range<Int>, sequence: Int?) {
        ids.append(id); typeIds.append(typeId); attentionMask.append(1)
        specialTokensMask.append(special ? 1 : 0); offsets.append(offset); sequenceIds.append(sequence)
    }

    /// Keeps the first `n` tokens.
    mutating func truncate(to n: Int) {
        guard n < ids.count else { return }
        let k = max(0, n)
        ids.removeSubrange(k...); typeIds.removeSubrange(k...); attentionMask.removeSubrange(k...)
        specialTokensMask.removeSubrange(k...); offsets.removeSubrange(k...); sequenceIds.removeSubrange(k...)
    }

    /// Pads on the right to `length` tokens with `padId` (attention 0, type 0, special 1).
    mutating func pad(to length: Int, padId: Int) {
        let n = length - ids.count
        guard n > 0 else { return }
        ids += repeatElement(padId, count: n); typeIds += repeatElement(0, count: n)
        attentionMask += repeatElement(0, count: n); specialTokensMask += repeatElement(1, count: n)
        offsets += repeatElement(0..<0, count: n); sequenceIds += repeatElement(nil, count: n)
    }

    public static func == (a: Encoding, b: Encoding) -> Bool {
        a.ids == b.ids && a.typeIds == b.typeIds && a.attentionMask == b.attentionMask
            && a.specialTokensMask == b.specialTokensMask && a.offsets == b.offsets && a.sequenceIds == b.sequenceIds
    }
}

/// How `encodeBatch` pads the encodings of a batch.
public enum Padding: Equatable, Sendable {
    /// No padding: every encoding keeps its own length.
    case none
    /// Pad to the longest encoding of the batch.
    case longest
    /// Pad every encoding to exactly this many tokens (longer ones are not cut: combine with truncation).
    case fixed(Int)
}

/// Maps ids back to their spelling; shared by an `Encoding` and its tokenizer.
final class TokenSpelling: @unchecked Sendable {
    let tokens: [String?]
    init(_ tokens: [String?]) { self.tokens = tokens }
    func token(_ id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id] : nil }
}
