import Foundation
import Tokenizers
import Transformers
import CLISupport

/// Text inputs of `trellis forward`: one text per non-empty line, tokenised with the model directory's
/// tokenizer (WordPiece or byte-level BPE with the model's special tokens), cut to 512 tokens.
enum TextTokenization {
    static func encodeLines(file: String, modelDirectory: URL) throws -> [[Int]] {
        let tokenizer = try TokenizerLoader.load(path: modelDirectory.path)
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ForwardInput.Failure.unreadable(file, "\(ModelDirectory.reason(error)) (expected UTF-8 text, one text per line)")
        }
        return text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .map { tokenizer.encode($0, maxLength: 512).ids }
    }
}
