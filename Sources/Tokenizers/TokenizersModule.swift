/// Namespace for module-wide constants of `Tokenizers`.
///
/// The module turns text into model input ids exactly as the reference Python tokenizers do:
/// `WordPieceTokenizer` (BERT), `BPETokenizer` (GPT-2 / RoBERTa byte-level BPE) and `ProteinTokenizer`
/// (ESM-2, xTrimoPGLM), all behind `protocol Tokenizer`, loaded with `TokenizerLoader.load(path:)`.
public enum TokenizersModule {
    /// Implementation version; part of the cache key of every stage built on this module.
    public static let version = "0.1.0"
}
