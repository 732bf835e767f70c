import Foundation

/// The tokens of one text before special tokens are added: ids and character offsets (Unicode scalars).
public struct RawTokens: Sendable {
    public var ids: [Int]
    public var offsets: [Range<Int>]
    public init(ids: [Int] = [], offsets: [Range<Int>] = []) { self.ids = ids; self.offsets = offsets }
}

/// A text-to-ids tokenizer (WordPiece, byte-level BPE, protein alphabets) with the special-token template
/// of its model. `encode`, `encodeBatch` and the pair forms are provided on top of `tokenize`.
///
/// Implementations are immutable after loading and safe to share between threads.
public protocol Tokenizer: AnyObject, Sendable {
    /// Short name of the algorithm ("wordpiece", "bpe", "esm", "xtrimopglm").
    var kind: String { get }
    /// The ids, spellings and added tokens of the vocabulary.
    var vocabulary: TokenVocabulary { get }
    /// The padding id used by `encodeBatch`.
    var padId: Int { get }
    /// The special tokens added around one text and around a pair.
    var template: TokenTemplate { get }
    /// The tokens of `text` without added special tokens.
    func tokenize(_ text: String) -> RawTokens
    /// The text of a list of ids.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String
}

/// Opaque id → token table attached to encodings (see `Encoding.tokens`).
public struct TokenSpellingTable: Sendable {
    let table: TokenSpelling
    init(_ tokens: [String?]) { table = TokenSpelling(tokens) }
}

extension Tokenizer {
    /// Number of ids (the largest id + 1).
    public var vocabularySize: Int { vocabulary.size }
    /// The id of a token string, added tokens included.
    public func id(of token: String) -> Int? { vocabulary.ids[token] }
    /// The spelling of an id.
    public func token(of id: Int) -> String? { spelling.table.token(id) }
    /// Ids that `decode(skipSpecialTokens: true)` drops.
    public var specialIds: Set<Int> { vocabulary.specialIds }
    /// Spelling table shared with the encodings.
    public var spelling: TokenSpellingTable { vocabulary.spelling }

    /// Encodes one text: tokens, then the model's special tokens (unless `addSpecialTokens` is false);
    /// with `maxLength`, the text's tokens are cut so that the whole encoding has at most that many tokens.
    public func encode(_ text: String, addSpecialTokens: Bool = true, maxLength: Int? = nil) -> Encoding {
        var raw = tokenize(text)
        let pieces = addSpecialTokens ? template.single : [.sequence(0, typeId: 0)]
        if let maxLength {
            let room = maxLength - TokenTemplate.addedCount(pieces)
            if raw.ids.count > room { raw.ids.removeSubrange(max(0, room)...); raw.offsets.removeSubrange(max(0, room)...) }
        }
        return assemble(pieces, [raw])
    }

    /// Encodes a pair of texts (BERT: `[CLS] A [SEP] B [SEP]`, RoBERTa: `<s> A </s></s> B </s>`); with
    /// `maxLength`, the longer text loses tokens first (Hugging Face's `longest_first`).
    public func encode(_ a: String, _ b: String, addSpecialTokens: Bool = true, maxLength: Int? = nil) -> Encoding {
        var ra = tokenize(a), rb = tokenize(b)
        let pieces = addSpecialTokens ? template.pair : [.sequence(0, typeId: 0), .sequence(1, typeId: 1)]
        if let maxLength {
            let budget = max(0, maxLength - TokenTemplate.addedCount(pieces))
            let (na, nb) = TokenTemplate.longestFirst(ra.ids.count, rb.ids.count, budget: budget)
            ra.ids = Array(ra.ids.prefix(na)); ra.offsets = Array(ra.offsets.prefix(na))
            rb.ids = Array(rb.ids.prefix(nb)); rb.offsets = Array(rb.offsets.prefix(nb))
        }
        return assemble(pieces, [ra, rb])
    }

    /// Encodes many texts, split across `threads` threads (0 = all cores), then pads them.
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool = true, padding: Padding = .none,
                            maxLength: Int? = nil, threads: Int = 0) -> [Encoding] {
        var out = [Encoding](repeating: Encoding(vocabulary: spelling.table), count: texts.count)
        let workers = max(1, min(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount,
                                 texts.count / 8))
        out.withUnsafeMutableBufferPointer { dst in
            let base = dst.baseAddress!
            if workers == 1 {
                for i in texts.indices { base[i] = encode(texts[i], addSpecialTokens: addSpecialTokens, maxLength: maxLength) }
            } else {
                // Interleaved chunks balance long and short texts without a shared counter.
                let chunk = 16
                let nChunks = (texts.count + chunk - 1) / chunk
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var c = w
                    while c < nChunks {
                        for i in (c * chunk)..<min(texts.count, (c + 1) * chunk) {
                            base[i] = encode(texts[i], addSpecialTokens: addSpecialTokens, maxLength: maxLength)
                        }
                        c += workers
                    }
                }
            }
        }
        let target: Int?
        switch padding {
        case .none: target = nil
        case .longest: target = out.map(\.count).max()
        case .fixed(let n): target = n
        }
        if let target { for i in out.indices { out[i].pad(to: target, padId: padId) } }
        return out
    }

    func assemble(_ pieces: [TokenTemplate.Piece], _ seqs: [RawTokens]) -> Encoding {
        var e = Encoding(vocabulary: spelling.table, capacity: seqs.reduce(pieces.count) { $0 + $1.ids.count })
        for p in pieces {
            switch p {
            case .special(let id, let t):
                e.append(id: id, typeId: t, special: true, offset: 0..<0, sequence: nil)
            case .sequence(let s, let t):
                guard s < seqs.count else { continue }
                let r = seqs[s]
                e.ids += r.ids
                e.offsets += r.offsets
                e.typeIds += repeatElement(t, count: r.ids.count)
                e.attentionMask += repeatElement(1, count: r.ids.count)
                e.specialTokensMask += repeatElement(0, count: r.ids.count)
                e.sequenceIds += repeatElement(Optional(s), count: r.ids.count)
            }
        }
        return e
    }
}

/// Where the special tokens go around one text and around a pair, with their type ids.
public struct TokenTemplate: Sendable {
    public enum Piece: Sendable, Equatable {
        /// A fixed token.
        case special(id: Int, typeId: Int)
        /// The tokens of text 0 (A) or 1 (B).
        case sequence(Int, typeId: Int)
    }
    public var single: [Piece]
    public var pair: [Piece]

    public init(single: [Piece], pair: [Piece]) { self.single = single; self.pair = pair }

    /// No special tokens: `A`, `A B`.
    public static let none = TokenTemplate(single: [.sequence(0, typeId: 0)],
                                           pair: [.sequence(0, typeId: 0), .sequence(1, typeId: 1)])

    /// BERT: `[CLS] A [SEP]`, `[CLS] A [SEP] B [SEP]` with type ids 0…0 1…1.
    public static func bert(cls: Int, sep: Int) -> TokenTemplate {
        TokenTemplate(single: [.special(id: cls, typeId: 0), .sequence(0, typeId: 0), .special(id: sep, typeId: 0)],
                      pair: [.special(id: cls, typeId: 0), .sequence(0, typeId: 0), .special(id: sep, typeId: 0),
                             .sequence(1, typeId: 1), .special(id: sep, typeId: 1)])
    }

    /// RoBERTa: `<s> A </s>`, `<s> A </s></s> B </s>`, all type ids 0.
    public static func roberta(bos: Int, eos: Int) -> TokenTemplate {
        TokenTemplate(single: [.special(id: bos, typeId: 0), .sequence(0, typeId: 0), .special(id: eos, typeId: 0)],
                      pair: [.special(id: bos, typeId: 0), .sequence(0, typeId: 0), .special(id: eos, typeId: 0),
                             .special(id: eos, typeId: 0), .sequence(1, typeId: 0), .special(id: eos, typeId: 0)])
    }

    static func addedCount(_ pieces: [Piece]) -> Int {
        pieces.reduce(0) { if case .special = $1 { return $0 + 1 } else { return $0 } }
    }

    /// Lengths after Hugging Face's `longest_first` truncation of a pair to `budget` tokens.
    static func longestFirst(_ a: Int, _ b: Int, budget: Int) -> (Int, Int) {
        guard a + b > budget else { return (a, b) }
        var n1 = min(a, b), n2: Int
        let swap = a > b
        n2 = n1 > budget ? n1 : max(n1, budget - n1)
        if n1 + n2 > budget { n1 = budget / 2; n2 = n1 + budget % 2 }
        return swap ? (n2, n1) : (n1, n2)
    }
}
