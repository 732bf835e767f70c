import Foundation

/// One-token-per-residue tokenizers of protein language models: ESM-2 and xTrimoPGLM.
///
/// - ESM-2 (`esm`): 33 tokens, `<cls>` + residues + `<eos>`; pairs `<cls> A <eos> B <eos>`.
/// - xTrimoPGLM (`xtrimopglm`): 36 real ids (the model's logits are padded to 128); MLM mode gives
///   residues + `<eos>`, CLM mode `<gmask><sop><eos>` + residues (no trailing `<eos>`), GLM mode
///   context + `<gmask><sop>` (a pair: context + `<gmask><sop>` + the span so far).
///
/// Multi-character tokens written in the text (`<mask>`, `<gmask>`, `<eos>` …) are recognised; whitespace is
/// skipped. Characters that are not in the table (lowercase letters, `*`, digits, `J` …) become `<unk>`:
/// - ESM (`UnknownPolicy.run`, the behaviour of transformers' `EsmTokenizer`): each maximal run of
///   unknown non-whitespace characters is ONE `<unk>` (`"MKV*"` → M K V `<unk>`; `"acde"` → one `<unk>`;
///   `"A**B"` → A `<unk>` B);
/// - xTrimoPGLM (`UnknownPolicy.perCharacter`): one `<unk>` per unknown character.
/// No case folding happens unless `uppercase` is set, and the stop symbol `*` is kept (as `<unk>`) unless
/// `dropStopSymbols` is set — both defaults match the Python tokenizers; FASTA readers that want the
/// fair-esm behaviour (which rejects them) should upper-case and strip `*` before tokenizing.
public final class ProteinTokenizer: Tokenizer, @unchecked Sendable {
    public enum Flavor: String, Sendable { case esm, xtrimopglm }
    public enum Mode: Sendable { case mlm, clm, glm }
    public enum UnknownPolicy: Sendable { case run, perCharacter }

    public struct Options: Sendable {
        public var uppercase = false
        public var dropStopSymbols = false
        public var unknown: UnknownPolicy? = nil
        public init() {}
    }

    /// ESM-2's alphabet (fair-esm `Alphabet.from_architecture("ESM-1b")`, HF vocab.txt).
    public static let esmTokens = ["<cls>", "<pad>", "<eos>", "<unk>"] + "LAGVSERTIDPKQNFYMHWCXBUZO.-".map(String.init)
        + ["<null_1>", "<mask>"]
    /// xTrimoPGLM's 36 real tokens in id order.
    public static let xtrimopglmTokens = ["<pad>"] + "LAGVSERTIDPKQNFYMHWCXBUZO.-".map(String.init)
        + ["<mask>", "<gmask>", "<smask>", "<eod>", "<sop>", "<eop>", "<eos>", "<unk>"]

    public let kind: String
    public let flavor: Flavor
    public let mode: Mode
    public let options: Options
    public let vocabulary: TokenVocabulary
    public let padId: Int
    public let template: TokenTemplate
    /// Tokens in id order.
    public let tokens: [String]
    let unkId: Int
    /// Id of each ASCII byte that is a one-character token, -1 otherwise (the residue fast path).
    let byteIds: [Int32]
    private let single: [UInt32: Int]

    /// A tokenizer over `tokens` (id = index). `source` names the file in errors.
    public init(tokens: [String], flavor: Flavor, mode: Mode = .mlm, options: Options = Options(),
                source: String = "<built-in>") throws {
        self.kind = flavor.rawValue
        self.flavor = flavor; self.mode = mode; self.options = options; self.tokens = tokens
        // Multi-character tokens written in the text are matched verbatim; `<null_1>` is not special.
        let multi = tokens.enumerated().filter { $0.element.unicodeScalars.count > 1 }
            .map { AddedToken($0.element, id: $0.offset, special: !$0.element.hasPrefix("<null")) }
        vocabulary = TokenVocabulary(entries: tokens.enumerated().map { ($0.element, $0.offset) }, addedTokens: multi)
        let ids = vocabulary.ids
        func need(_ t: String) throws -> Int {
            guard let i = ids[t] else {
                throw TokenizerError.missingToken(path: source, token: t, reason: "required by the \(flavor.rawValue) template")
            }
            return i
        }
        unkId = try need("<unk>")
        padId = try need("<pad>")
        let eos = try need("<eos>")
        switch (flavor, mode) {
        case (.esm, _):
            let cls = try need("<cls>")
            template = TokenTemplate(
                single: [.special(id: cls, typeId: 0), .sequence(0, typeId: 0), .special(id: eos, typeId: 0)],
                pair: [.special(id: cls, typeId: 0), .sequence(0, typeId: 0), .special(id: eos, typeId: 0),
                       .sequence(1, typeId: 0), .special(id: eos, typeId: 0)])
        case (.xtrimopglm, .mlm):
            template = TokenTemplate(single: [.sequence(0, typeId: 0), .special(id: eos, typeId: 0)],
                                     pair: [.sequence(0, typeId: 0), .special(id: eos, typeId: 0),
                                            .sequence(1, typeId: 0), .special(id: eos, typeId: 0)])
        case (.xtrimopglm, .clm):
            let g = try need("<gmask>"), sop = try need("<sop>")
            let prefix: [TokenTemplate.Piece] = [.special(id: g, typeId: 0), .special(id: sop, typeId: 0),
                                                 .special(id: eos, typeId: 0)]
            template = TokenTemplate(single: prefix + [.sequence(0, typeId: 0)],
                                     pair: prefix + [.sequence(0, typeId: 0), .sequence(1, typeId: 0)])
        case (.xtrimopglm, .glm):
            let g = try need("<gmask>"), sop = try need("<sop>")
            let infix: [TokenTemplate.Piece] = [.special(id: g, typeId: 0), .special(id: sop, typeId: 0)]
            template = TokenTemplate(single: [.sequence(0, typeId: 0)] + infix,
                                     pair: [.sequence(0, typeId: 0)] + infix + [.sequence(1, typeId: 0)])
        }
        var singles: [UInt32: Int] = [:]
        for (i, t) in tokens.enumerated() {
            let sc = Array(t.unicodeScalars)
            if sc.count == 1 && singles[sc[0].value] == nil { singles[sc[0].value] = i }
        }
        single = singles
        var bytes = [Int32](repeating: -1, count: 256)
        for (c, i) in singles where c < 128 { bytes[Int(c)] = Int32(i) }
        byteIds = bytes
    }

    /// The built-in ESM-2 tokenizer.
    public static func esm(options: Options = Options()) -> ProteinTokenizer {
        try! ProteinTokenizer(tokens: esmTokens, flavor: .esm, options: options)
    }

    /// The built-in xTrimoPGLM tokenizer in MLM or CLM mode.
    public static func xtrimopglm(mode: Mode = .mlm, options: Options = Options()) -> ProteinTokenizer {
        try! ProteinTokenizer(tokens: xtrimopglmTokens, flavor: .xtrimopglm, mode: mode, options: options)
    }

    /// The same tables in another mode (xTrimoPGLM MLM ↔ CLM).
    public func with(mode: Mode) -> ProteinTokenizer {
        (try? ProteinTokenizer(tokens: tokens, flavor: flavor, mode: mode, options: options)) ?? self
    }

    public func tokenize(_ text: String) -> RawTokens {
        var scalars: [UInt32] = [], segments: [(Int, Int, Int)] = []
        let perChar = (options.unknown ?? (flavor == .esm ? .run : .perCharacter)) == .perCharacter
        return vocabulary.splitter.tokenize(text, scalars: &scalars, segments: &segments, reservePerScalar: 1) { s, a, b, out in
            var unknownStart = -1
            func closeUnknown(_ end: Int) {
                if unknownStart >= 0 { out.ids.append(unkId); out.offsets.append(unknownStart..<end); unknownStart = -1 }
            }
            for i in a..<b {
                var c = s[i]
                if options.uppercase && c >= 0x61 && c <= 0x7A { c -= 32 }
                if c == 0x2A && options.dropStopSymbols { closeUnknown(i); continue }
                if let r = single[c] { closeUnknown(i); out.ids.append(r); out.offsets.append(i..<(i + 1)); continue }
                // Python's str.split() whitespace: White_Space plus the separators U+001C…U+001F.
                if UnicodeClass.of(c) & UnicodeClass.whitespace != 0 || (c >= 0x1C && c <= 0x1F) { closeUnknown(i); continue }
                if perChar { out.ids.append(unkId); out.offsets.append(i..<(i + 1)) } else if unknownStart < 0 { unknownStart = i }
            }
            closeUnknown(b)
        }
    }

    /// The residues as one string; special tokens are written as `<name>` unless skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        var out = ""
        for id in ids {
            if skipSpecialTokens && specialIds.contains(id) { continue }
            if let t = token(of: id) { out += t }
        }
        return out
    }
}
