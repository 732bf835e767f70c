import Foundation

/// Byte-level BPE as in GPT-2 and RoBERTa (Hugging Face `ByteLevel` pre-tokenizer + `BPE` model):
///
/// 1. added tokens (`<s>`, `<mask>` …) are matched verbatim in the raw text (with `lstrip`/`rstrip`);
/// 2. with `addPrefixSpace`, a space is put in front of each text run that does not start with one;
/// 3. the text is cut by the GPT-2 pattern (contractions, letters, numbers, other symbols, whitespace rules);
/// 4. each piece's UTF-8 bytes are spelled in the byte-to-unicode alphabet and merged pairwise by merge
///    rank, lowest rank first, leftmost first among equals.
///
/// Offsets are character offsets; with `trimOffsets` (RoBERTa) the leading space of a token is not part
/// of its offsets.
public final class BPETokenizer: Tokenizer, @unchecked Sendable {
    public struct Options: Sendable {
        public var addPrefixSpace = false
        public var trimOffsets = true
        /// Use a whole pre-token found in the vocabulary without merging (Llama 3 style); false for GPT-2.
        public var ignoreMerges = false
        public var unkToken: String? = nil
        public init() {}
    }

    public let kind = "bpe"
    public let options: Options
    public let vocabulary: TokenVocabulary
    public let padId: Int
    public let template: TokenTemplate
    private let vocab: ByteMap
    private let byteIds: [Int32]
    // (left id << 32 | right id) → (rank << 32 | merged id)
    private let merges: [UInt64: UInt64]
    private let unkId: Int32
    private let pool: WorkspacePool<BPEWorkspace>

    /// Builds the tokenizer from a vocabulary (byte-level spellings) and merges in rank order.
    /// `source` names the files for errors.
    public convenience init(vocabulary: [String: Int], merges: [(String, String)], options: Options = Options(),
                            addedTokens: [AddedToken] = [], template: TokenTemplate? = nil,
                            source: String = "<vocabulary>") throws {
        try self.init(entries: vocabulary.map { ($0.key, $0.value) }, merges: merges, options: options,
                      addedTokens: addedTokens, template: template, source: source)
    }

    /// Builds the tokenizer from (token, id) entries, keys compared byte for byte.
    public init(entries: [(String, Int)], merges: [(String, String)], options: Options = Options(),
                addedTokens: [AddedToken] = [], template: TokenTemplate? = nil, source: String = "<vocabulary>",
                mergeLines: [Int]? = nil) throws {
        self.options = options
        vocabulary = TokenVocabulary(entries: entries, addedTokens: addedTokens)
        let all = vocabulary.ids
        var v = ByteMap(capacity: entries.count)
        for (t, id) in entries { v.insert(t, value: Int32(id)) }
        vocab = v
        func exact(_ t: String) -> Int? { let i = v.lookup(t); return i >= 0 ? Int(i) : nil }
        unkId = options.unkToken.flatMap { all[$0] }.map { Int32($0) } ?? -1
        byteIds = ByteLevel.byteToScalar.map { v.lookup(String(Unicode.Scalar($0)!)) }
        var m: [UInt64: UInt64] = [:]
        m.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            let line = mergeLines?[rank] ?? rank + 1
            guard let ia = exact(a), let ib = exact(b) else {
                throw TokenizerError.badLine(path: source, line: line,
                                             expected: "a merge of two vocabulary tokens ('\(exact(a) == nil ? a : b)' is not in the vocabulary)")
            }
            guard let ic = exact(a + b) else {
                throw TokenizerError.badLine(path: source, line: line,
                                             expected: "a merge whose result '\(a + b)' is in the vocabulary")
            }
            let key = UInt64(ia) << 32 | UInt64(ib)
            if m[key] == nil { m[key] = UInt64(rank) << 32 | UInt64(ic) }
        }
        self.merges = m
        padId = all["<pad>"] ?? all["<|endoftext|>"] ?? 0
        if let template { self.template = template } else if let b = all["<s>"], let e = all["</s>"] {
            self.template = .roberta(bos: b, eos: e)
        } else {
            self.template = .none
        }
        pool = WorkspacePool { BPEWorkspace() }
    }

    public func tokenize(_ text: String) -> RawTokens {
        pool.with { ws in
            vocabulary.splitter.tokenize(text, scalars: &ws.scalars, segments: &ws.segments, reservePerScalar: 1.0 / 3) {
                run($0, $1, $2, ws, &$3)
            }
        }
    }

    private func run(_ s: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int, _ ws: BPEWorkspace, _ out: inout RawTokens) {
        guard lo < hi else { return }
        if options.addPrefixSpace && s[lo] != 0x20 {
            // The prefix space takes part in pre-tokenization (" 's" is not a contraction).
            ws.prefixed.removeAll(keepingCapacity: true)
            ws.prefixed.append(0x20)
            ws.prefixed.append(contentsOf: UnsafeBufferPointer(rebasing: s[lo..<hi]))
            ws.prefixed.withUnsafeBufferPointer { p in runCore(p, 0, p.count, shift: lo, ws, &out) }
        } else {
            runCore(s, lo, hi, shift: nil, ws, &out)
        }
    }

    /// Pre-tokenizes `s[lo..<hi]` and emits each piece; with `shift`, `s` is a copy with one added leading
    /// space and index k stands for original character `shift + max(k - 1, 0)`.
    private func runCore(_ s: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int, shift: Int?, _ ws: BPEWorkspace,
                         _ out: inout RawTokens) {
        var i = lo
        while i < hi {
            let end = ByteLevel.pretokenEnd(s, i, hi)
            ws.word.removeAll(keepingCapacity: true)
            ws.charOf.removeAll(keepingCapacity: true)
            for k in i..<end {
                let before = ws.word.count
                appendUTF8(s[k], to: &ws.word)
                let origin = shift.map { $0 + max(k - 1, 0) } ?? k
                for _ in before..<ws.word.count { ws.charOf.append(origin) }
            }
            emit(ws, &out)
            i = end
        }
    }

    private func emit(_ ws: BPEWorkspace, _ out: inout RawTokens) {
        let cache = ws.cache
        var pos = 0
        for k in cache.pieces(of: ws.word, split: { merge(ws) }) {
            let len = Int(cache.lengths[k])
            var lo = ws.charOf[pos], hi = ws.charOf[pos + len - 1] + 1
            if options.trimOffsets {
                // Hugging Face's ByteLevel offset trimming: leading/trailing spaces leave the offsets, except
                // a single leading space of the first token when add_prefix_space is on.
                var lead = 0, trail = 0
                while lead < len, ws.word[pos + lead] == 0x20 { lead += 1 }
                while trail < len, ws.word[pos + len - 1 - trail] == 0x20 { trail += 1 }
                if options.addPrefixSpace && lead == 1 && (out.ids.isEmpty || lo == 0) { lead = 0 }
                if lead > 0 { lo = min(lo + lead, hi) }
                if trail > 0 && hi >= trail { hi = max(hi - trail, lo) }
            }
            if cache.ids[k] >= 0 { out.ids.append(Int(cache.ids[k])); out.offsets.append(lo..<hi) }
            pos += len
        }
    }

    /// Applies the merges to the bytes in `ws.word`; appends the result to the cache.
    private func merge(_ ws: BPEWorkspace) {
        let n = ws.word.count
        if options.ignoreMerges {
            let id = ws.word.withUnsafeBufferPointer { vocab.lookup($0.baseAddress!, n) }
            if id >= 0 { ws.cache.append(id, length: Int32(n)); return }
        }
        ws.symbols.removeAll(keepingCapacity: true)
        ws.lengths.removeAll(keepingCapacity: true)
        for b in ws.word { ws.symbols.append(byteIds[Int(b)] >= 0 ? byteIds[Int(b)] : unkId); ws.lengths.append(1) }
        while ws.symbols.count > 1 {
            var best = UInt64.max, at = -1
            for k in 0..<(ws.symbols.count - 1) {
                guard ws.symbols[k] >= 0, ws.symbols[k + 1] >= 0 else { continue }
                if let m = merges[UInt64(UInt32(ws.symbols[k])) << 32 | UInt64(UInt32(ws.symbols[k + 1]))], m < best {
                    best = m; at = k
                }
            }
            if at < 0 { break }
            ws.symbols[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            ws.lengths[at] += ws.lengths[at + 1]
            ws.symbols.remove(at: at + 1)
            ws.lengths.remove(at: at + 1)
        }
        ws.cache.append(ids: ws.symbols, lengths: ws.lengths)
    }

    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if skipSpecialTokens && specialIds.contains(id) { continue }
            guard let t = token(of: id) else { continue }
            for u in t.unicodeScalars {
                if let b = ByteLevel.scalarToByte[u.value] { bytes.append(b) } else { appendUTF8(u.value, to: &bytes) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Per-thread buffers and the pre-token → pieces cache of a BPE tokenizer.
final class BPEWorkspace {
    var scalars: [UInt32] = []
    var segments: [(Int, Int, Int)] = []
    var prefixed: [UInt32] = []
    var word: [UInt8] = []
    var charOf: [Int] = []
    var symbols: [Int32] = []
    var lengths: [Int32] = []
    let cache = PieceCache(limit: 200_000)
}
