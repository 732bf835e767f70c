import Foundation

/// BERT's WordPiece tokenizer, identical to Hugging Face's `BertNormalizer` + `BertPreTokenizer` + `WordPiece`:
///
/// 1. added tokens (`[CLS]`, `[MASK]` …) are matched verbatim in the raw text and never split;
/// 2. clean-up drops NUL, U+FFFD and control/format/unassigned/private-use characters and turns every
///    whitespace character into a space; CJK ideographs become words of their own;
/// 3. with `stripAccents` (by default whenever `lowercase`), characters are decomposed (NFD) and non-spacing
///    marks dropped; then letters are lower-cased (full Unicode mapping, `İ` → `i̇`);
/// 4. words are split at whitespace and every punctuation character (Unicode P* and all ASCII symbols) is a
///    word of its own;
/// 5. each word is cut greedily into the longest vocabulary pieces, continuation pieces prefixed `##`; a word
///    with an unknown piece, or longer than `maxInputCharsPerWord` characters, becomes one `[UNK]`.
public final class WordPieceTokenizer: Tokenizer, @unchecked Sendable {
    /// Normalizer and model settings (tokenizer.json `normalizer` / `model`, or tokenizer_config.json).
    public struct Options: Sendable {
        public var lowercase = true
        /// nil: follow `lowercase` (BERT's default).
        public var stripAccents: Bool? = nil
        public var cleanText = true
        public var handleChineseChars = true
        public var unkToken = "[UNK]"
        public var continuingSubwordPrefix = "##"
        public var maxInputCharsPerWord = 100
        public init() {}
    }

    public let kind = "wordpiece"
    public let options: Options
    public let vocabulary: TokenVocabulary
    public let padId: Int
    public let template: TokenTemplate
    let unkId: Int
    private let vocab: ByteMap
    private let continuation: ByteMap
    private let maxPieceChars: Int
    private let pool: WorkspacePool<WordPieceWorkspace>
    private let stripAccents: Bool

    /// Builds the tokenizer from a token → id vocabulary. Throws when the unknown token is missing.
    public convenience init(vocabulary: [String: Int], options: Options = Options(), addedTokens: [AddedToken] = [],
                            template: TokenTemplate? = nil, source: String = "<vocabulary>") throws {
        try self.init(entries: vocabulary.map { ($0.key, $0.value) }, options: options, addedTokens: addedTokens,
                      template: template, source: source)
    }

    /// Builds the tokenizer from (token, id) entries, keys compared byte for byte (vocab.txt line order).
    public init(entries: [(String, Int)], options: Options = Options(), addedTokens: [AddedToken] = [],
                template: TokenTemplate? = nil, source: String = "<vocabulary>") throws {
        self.options = options
        vocabulary = TokenVocabulary(entries: entries, addedTokens: addedTokens)
        let all = vocabulary.ids
        guard let unk = all[options.unkToken] else {
            throw TokenizerError.missingToken(path: source, token: options.unkToken,
                                              reason: "WordPiece needs it for words it cannot split")
        }
        unkId = unk
        var v = ByteMap(capacity: entries.count), cont = ByteMap(capacity: entries.count / 4)
        var longest = 1
        let prefix = options.continuingSubwordPrefix
        for (tok, id) in entries {
            v.insert(tok, value: Int32(id))
            // Bytes, not Characters: "##া" is one grapheme cluster after the first "#".
            let bytes = Array(tok.utf8), pb = Array(prefix.utf8)
            if !pb.isEmpty, bytes.starts(with: pb) { cont.insert(Array(bytes[pb.count...]), value: Int32(id)) }
            longest = max(longest, tok.unicodeScalars.count)
        }
        vocab = v; continuation = cont; maxPieceChars = longest
        padId = all["[PAD]"] ?? 0
        if let template { self.template = template } else if let c = all["[CLS]"], let s = all["[SEP]"] {
            self.template = .bert(cls: c, sep: s)
        } else {
            self.template = .none
        }
        stripAccents = options.stripAccents ?? options.lowercase
        pool = WorkspacePool { WordPieceWorkspace() }
    }

    public func tokenize(_ text: String) -> RawTokens {
        pool.with { ws in
            vocabulary.splitter.tokenize(text, scalars: &ws.scalars, segments: &ws.segments, reservePerScalar: 1.0 / 4) {
                run($0, $1, $2, ws, &$3)
            }
        }
    }

    /// Normalizes and pre-tokenizes `s[lo..<hi]` in one pass, emitting the pieces of each word as it ends.
    private func run(_ s: UnsafeBufferPointer<UInt32>, _ lo: Int, _ hi: Int, _ ws: WordPieceWorkspace,
                     _ out: inout RawTokens) {
        let lower = options.lowercase, clean = options.cleanText, cjk = options.handleChineseChars
        ws.resetWord()
        var i = lo
        while i < hi {
            let c = s[i]
            let f = UnicodeClass.of(c)
            if c < 0x80 {
                if clean && f & UnicodeClass.other != 0 {
                    // control characters are dropped before whitespace is looked at (\v, \f vanish)
                } else if f & UnicodeClass.whitespace != 0 { flush(ws, &out) }
                else if f & UnicodeClass.punctuation != 0 {
                    flush(ws, &out); ws.append(c, origin: i); flush(ws, &out)
                } else {
                    ws.append(lower && c >= 0x41 && c <= 0x5A ? c + 32 : c, origin: i)
                }
                i += 1
                continue
            }
            if clean && (c == 0xFFFD || f & UnicodeClass.other != 0) { i += 1; continue }
            if f & UnicodeClass.whitespace != 0 { flush(ws, &out); i += 1; continue }
            let isCJK = cjk && UnicodeClass.isCJK(c)
            if isCJK { flush(ws, &out) }
            for n in normalized(c, ws, lower: lower) {
                let g = UnicodeClass.of(n)
                if g & UnicodeClass.whitespace != 0 { flush(ws, &out) }
                else if g & UnicodeClass.punctuation != 0 { flush(ws, &out); ws.append(n, origin: i); flush(ws, &out) }
                else { ws.append(n, origin: i) }
            }
            if isCJK { flush(ws, &out) }
            i += 1
        }
        flush(ws, &out)
    }

    /// Accent stripping then lower-casing of one non-ASCII scalar, cached per workspace.
    private func normalized(_ c: UInt32, _ ws: WordPieceWorkspace, lower: Bool) -> [UInt32] {
        if let r = ws.normCache[c] { return r }
        var r: [UInt32] = [c]
        if let sc = Unicode.Scalar(c) {
            var str = String(sc)
            if stripAccents {
                str = str.decomposedStringWithCanonicalMapping
                str = String(String.UnicodeScalarView(str.unicodeScalars.filter { UnicodeClass.of($0.value) & UnicodeClass.mark == 0 }))
            }
            if lower { str = str.unicodeScalars.map { $0.properties.lowercaseMapping }.joined() }
            r = str.unicodeScalars.map(\.value)
        }
        ws.normCache[c] = r
        return r
    }

    /// Emits the WordPiece pieces of the word collected in `ws`, from the cache when possible.
    private func flush(_ ws: WordPieceWorkspace, _ out: inout RawTokens) {
        let n = ws.wordOrigin.count
        guard n > 0 else { return }
        defer { ws.resetWord() }
        let origin = ws.wordOrigin
        if n > options.maxInputCharsPerWord {
            out.ids.append(unkId); out.offsets.append(origin[0]..<(origin[n - 1] + 1)); return
        }
        let cache = ws.cache
        var pos = 0
        for k in cache.pieces(of: ws.wordBytes, split: { split(ws) }) {
            let len = Int(cache.lengths[k])
            out.ids.append(Int(cache.ids[k]))
            out.offsets.append(origin[pos]..<(origin[pos + len - 1] + 1))
            pos += len
        }
    }

    /// Greedy longest-match-first split of the current word; appends its pieces to the cache.
    private func split(_ ws: WordPieceWorkspace) {
        let n = ws.wordOrigin.count
        let before = ws.cache.ids.count
        ws.wordBytes.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress!
            var start = 0
            while start < n {
                var end = min(n, start + maxPieceChars)
                var found: Int32 = -1
                while end > start {
                    let b0 = Int(ws.byteStarts[start]), b1 = Int(ws.byteStarts[end])
                    found = start == 0 ? vocab.lookup(base + b0, b1 - b0) : continuation.lookup(base + b0, b1 - b0)
                    if found >= 0 { break }
                    end -= 1
                }
                if found < 0 {
                    ws.cache.dropPieces(from: before)
                    ws.cache.append(Int32(unkId), length: Int32(n))
                    break
                }
                ws.cache.append(found, length: Int32(end - start))
                start = end
            }
        }
    }

    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        var out = ""
        var first = true
        let prefix = options.continuingSubwordPrefix
        for id in ids {
            if skipSpecialTokens && specialIds.contains(id) { continue }
            guard var t = token(of: id) else { continue }
            if !first {
                let b = Array(t.utf8), pb = Array(prefix.utf8)
                t = !pb.isEmpty && b.starts(with: pb) ? String(decoding: b[pb.count...], as: UTF8.self) : " " + t
            }
            first = false
            out += WordPieceTokenizer.cleanup(t)
        }
        return out
    }

    /// Hugging Face's `clean_up_tokenization` applied per token, as its WordPiece decoder does.
    static func cleanup(_ s: String) -> String {
        guard s.contains(" ") else { return s }
        var t = s
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                       (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            t = t.replacingOccurrences(of: a, with: b)
        }
        return t
    }
}

/// Per-thread buffers and the word → pieces cache of a WordPiece tokenizer.
final class WordPieceWorkspace {
    var scalars: [UInt32] = []
    var segments: [(Int, Int, Int)] = []
    var wordOrigin: [Int] = []
    var wordBytes: [UInt8] = []
    var byteStarts: [Int32] = [0]
    var normCache: [UInt32: [UInt32]] = [:]
    let cache = PieceCache(limit: 500_000)

    @inline(__always) func append(_ c: UInt32, origin: Int) {
        wordOrigin.append(origin)
        appendUTF8(c, to: &wordBytes)
        byteStarts.append(Int32(wordBytes.count))
    }

    @inline(__always) func resetWord() {
        wordOrigin.removeAll(keepingCapacity: true)
        wordBytes.removeAll(keepingCapacity: true)
        byteStarts.removeAll(keepingCapacity: true)
        byteStarts.append(0)
    }
}
