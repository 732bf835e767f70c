import Foundation
import Tokenizers

extension FuzzTarget {
    /// What the first input byte (modulo 5) makes of the rest.
    enum TokenizerFile: Int, CaseIterable {
        /// `tokenizer.json` (Hugging Face format).
        case tokenizerJSON
        /// `vocab.txt` alone (WordPiece).
        case vocabTxt
        /// `vocab.txt` with an ESM `config.json`.
        case esmVocab
        /// `vocab.json`, a NUL byte, then `merges.txt` (byte-level BPE).
        case bpe
        /// `tokenizer.model` (text list or sentencepiece protobuf).
        case model
    }

    static let sampleText = "Hello, world! MKTAYIAKQRQISFVKSHFSRQ <mask> naïve 你好 \u{1F600}\t end"

    /// Writes the tokenizer files into a fresh directory, loads it with `TokenizerLoader`, and encodes and
    /// decodes a sample text.
    static func tokenizer(_ bytes: [UInt8]) throws {
        guard let first = bytes.first, let kind = TokenizerFile(rawValue: Int(first) % 5) else { return }
        let body = bytes.dropFirst()
        let dir = try FuzzScratch.freshDirectory("tokenizer")
        func put<C: Collection>(_ name: String, _ content: C) throws where C.Element == UInt8 {
            try Data(content).write(to: dir.appendingPathComponent(name))
        }
        switch kind {
        case .tokenizerJSON: try put("tokenizer.json", body)
        case .vocabTxt: try put("vocab.txt", body)
        case .esmVocab:
            try put("vocab.txt", body)
            try put("config.json", Array(#"{"model_type": "esm"}"#.utf8))
        case .bpe:
            let split = body.firstIndex(of: 0) ?? body.endIndex
            try put("vocab.json", body[..<split])
            try put("merges.txt", body[split...].dropFirst())
        case .model: try put("tokenizer.model", body)
        }
        let tokenizer = try TokenizerLoader.load(path: dir.path)
        let encoding = tokenizer.encode(sampleText, maxLength: 64)
        _ = tokenizer.encode(sampleText, "second text", maxLength: 32)
        _ = tokenizer.decode(encoding.ids, skipSpecialTokens: true)
        _ = tokenizer.decode(encoding.ids, skipSpecialTokens: false)
    }
}
