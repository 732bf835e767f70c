import Foundation
import Tokenizers

/// How the prompt is worded and which words stand for the labels: the template `"[MASK]: <text>"` (the
/// `[MASK]` placeholder becomes the model's own mask token, `<text>` the article) and the verbalizer
/// real → `news`, fake → `rumor`, as in the authors' code.
public struct PromptFormat: Sendable, Equatable {
    /// Template text holding `[MASK]` once and `<text>` once.
    public var template: String
    /// Label words, index 0 = real, 1 = fake.
    public var labelWords: [String]
    /// Token budget including the special tokens; longer prompts lose the end of the article.
    public var maxLength: Int

    public static let maskPlaceholder = "[MASK]"
    public static let textPlaceholder = "<text>"

    public init(template: String = "[MASK]: <text>", labelWords: [String] = ["news", "rumor"], maxLength: Int = 512) {
        self.template = template
        self.labelWords = labelWords
        self.maxLength = maxLength
    }

    /// Checks the template and label words before any model is loaded.
    public func validate() throws {
        func count(_ s: String) -> Int { template.components(separatedBy: s).count - 1 }
        guard count(Self.maskPlaceholder) == 1, count(Self.textPlaceholder) == 1 else {
            throw PromptAlignError.invalidParameter(name: "template", value: template,
                                                    expected: "exactly one \(Self.maskPlaceholder) and one \(Self.textPlaceholder)")
        }
        guard labelWords.count == 2, labelWords.allSatisfy({ !$0.isEmpty }) else {
            throw PromptAlignError.invalidParameter(name: "verbalizer", value: labelWords.joined(separator: ","),
                                                    expected: "two non-empty label words (real, fake)")
        }
        guard maxLength >= 8 else {
            throw PromptAlignError.invalidParameter(name: "max_length", value: String(maxLength), expected: "at least 8 tokens")
        }
    }
}

/// A `PromptFormat` bound to one tokenizer: the mask token, the label-word ids and the encoder.
public struct PromptEncoder: @unchecked Sendable {
    public let format: PromptFormat
    public let tokenizer: any Tokenizer
    /// The model's mask token as spelled in its vocabulary (`[MASK]`, `<mask>`).
    public let maskToken: String
    public let maskId: Int
    /// Vocabulary ids of the label words, [real, fake].
    public let labelIds: [Int]

    /// Resolves the mask token and the label words. A label word is spelled as the tokenizer spells it
    /// in the mask's place in the template (so RoBERTa gets `news` at the start of a text and `Ġnews` after
    /// a space); it must be a single token there, or be a vocabulary entry as given.
    public init(format: PromptFormat, tokenizer: any Tokenizer) throws {
        try format.validate()
        self.format = format
        self.tokenizer = tokenizer
        guard let (token, id) = ["[MASK]", "<mask>"].lazy.compactMap({ t in tokenizer.id(of: t).map { (t, $0) } }).first else {
            throw PromptAlignError.invalidParameter(name: "tokenizer", value: tokenizer.kind,
                                                    expected: "a vocabulary with a mask token ([MASK] or <mask>)")
        }
        maskToken = token
        maskId = id
        labelIds = try format.labelWords.map { try Self.labelId($0, format: format, tokenizer: tokenizer) }
        if labelIds[0] == labelIds[1] {
            throw PromptAlignError.invalidParameter(name: "verbalizer", value: format.labelWords.joined(separator: ","),
                                                    expected: "two label words with different token ids")
        }
    }

    static func labelId(_ word: String, format: PromptFormat, tokenizer: any Tokenizer) throws -> Int {
        // Tokenise the template up to the mask with the word in its place: the word's first token must
        // then be the whole word, in the spelling the model would see at that position.
        let head = format.template.components(separatedBy: PromptFormat.maskPlaceholder)[0]
            .replacingOccurrences(of: PromptFormat.textPlaceholder, with: "")
        let before = tokenizer.tokenize(head).ids
        let with = tokenizer.tokenize(head + word).ids
        if with.count == before.count + 1, Array(with.prefix(before.count)) == before { return with.last! }
        if let id = tokenizer.id(of: word) { return id }
        let pieces = with.dropFirst(before.count).map { tokenizer.token(of: $0) ?? "?" }
        throw PromptAlignError.invalidParameter(
            name: "verbalizer", value: word,
            expected: "a label word that is one token of the vocabulary (it splits into \(pieces.joined(separator: " ")))")
    }

    /// The prompt text of one article (before tokenisation).
    public func promptText(_ article: String) -> String {
        format.template.replacingOccurrences(of: PromptFormat.maskPlaceholder, with: maskToken)
            .replacingOccurrences(of: PromptFormat.textPlaceholder, with: article)
    }

    /// Encodes articles with the model's special tokens, cut to `maxLength` tokens by dropping the end of
    /// the prompt (Hugging Face `truncation=True` on one sequence), unpadded.
    public func encode(_ articles: [String], threads: Int = 0) throws -> [PromptInput] {
        let encodings = tokenizer.encodeBatch(articles.map(promptText), maxLength: format.maxLength, threads: threads)
        return try encodings.enumerated().map { i, e in
            guard let at = e.ids.firstIndex(of: maskId) else {
                throw PromptAlignError.mismatch(what: "article \(i + 1)", expected: "the mask token in the encoded prompt",
                                                found: "no \(maskToken) within the first \(format.maxLength) tokens")
            }
            return PromptInput(ids: e.ids.map { Int32($0) }, maskPosition: at)
        }
    }
}

/// One encoded prompt: token ids (special tokens included, no padding) and where the mask is.
public struct PromptInput: Sendable, Equatable {
    public var ids: [Int32]
    public var maskPosition: Int

    public init(ids: [Int32], maskPosition: Int) {
        self.ids = ids
        self.maskPosition = maskPosition
    }
}
