import Foundation

/// Text inputs of `trellis forward` (one text per line), tokenised with the model directory's tokenizer.
enum TextTokenization {
    static func encodeLines(file: String, modelDirectory: URL) throws -> [[Int]] {
        throw ForwardInput.Failure.textNeedsTokenizer(modelDirectory.path)
    }
}
