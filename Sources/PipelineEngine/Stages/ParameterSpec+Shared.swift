import Foundation

/// Parameters several stage types declare: one name, type, default and wording each, so that `output` or
/// `tokens_per_batch` means the same in every stage that takes it.
extension ParameterSpec {
    /// The budget of `tokens_per_batch` when a spec leaves it out.
    public static let defaultTokensPerBatch = 4096

    /// `output`: where the stage writes `what`; left out, the stage writes inside the work directory.
    public static func output(writing what: String) -> ParameterSpec {
        ParameterSpec("output", .outputPath, doc: "where to write \(what) (default: inside the work directory)")
    }

    /// `tokens_per_batch`: the padded tokens of one model pass (a forward pass, an evaluation or a
    /// training micro-batch: `doc` says which).
    public static func tokensPerBatch(_ doc: String) -> ParameterSpec {
        ParameterSpec("tokens_per_batch", .int, default: .int(defaultTokensPerBatch), doc: doc)
    }
}
