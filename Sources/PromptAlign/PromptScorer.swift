import Foundation
import Tensors
import Tokenizers
import Transformers

/// Scores prompts with a BERT / RoBERTa masked LM on the inference runtime: the encoder's last hidden
/// state at the mask goes through the masked-LM head, and the label-word probabilities are read off
/// the logits (only the mask rows are decoded, not every position).
public final class PromptScorer {
    public let encoder: PromptEncoder
    public let mode: PromptMode
    let model: LanguageModel
    let head: MaskedLMHeadWeights

    /// Loads `directory` (a checkpoint with a masked-LM head; see `MaskedLMHeadCompletion` for one without).
    public init(modelDirectory directory: URL, format: PromptFormat, mode: PromptMode) throws {
        let family = try ModelLoader.family(directory: directory)
        guard family == .bert || family == .roberta else {
            throw PromptAlignError.invalidParameter(name: "model", value: directory.path, expected: "a BERT or RoBERTa masked LM")
        }
        model = try ModelLoader.load(directory: directory)
        head = try MaskedLMHeadWeights(directory: directory, roberta: family == .roberta)
        encoder = try PromptEncoder(format: format, tokenizer: try TokenizerLoader.load(path: directory.path))
        self.mode = mode
        // Reference mode pads every prompt to max_length: it must fit the model's positions.
        guard format.maxLength <= model.positionLimit else {
            throw PromptAlignError.invalidParameter(name: "max_length", value: String(format.maxLength),
                                                    expected: "at most the \(model.positionLimit) positions of \(directory.path)")
        }
        guard head.vocabulary >= encoder.tokenizer.vocabularySize || head.vocabulary > encoder.labelIds.max()! else {
            throw PromptAlignError.mismatch(what: directory.path, expected: "a head covering the label-word ids",
                                            found: "vocabulary of \(head.vocabulary)")
        }
    }

    /// [p(real word), p(fake word)] for every prompt, in order.
    public func probabilities(_ inputs: [PromptInput], batchSize: Int = 8,
                              progress: ((Int) -> Void)? = nil) throws -> [SIMD2<Float>] {
        var out: [SIMD2<Float>] = []
        out.reserveCapacity(inputs.count)
        var start = 0
        while start < inputs.count {
            let chunk = Array(inputs[start..<min(inputs.count, start + max(1, batchSize))])
            let logits = try maskLogits(chunk)                                        // [S, V]
            logits.withUnsafeBufferPointer { p in
                for r in 0..<chunk.count {
                    out.append(LabelWordScore.probabilities(p.baseAddress! + r * head.vocabulary, vocabulary: head.vocabulary,
                                                            labelIds: encoder.labelIds, mode: mode))
                }
            }
            start += chunk.count
            progress?(start)
        }
        return out
    }

    /// Logits at the mask of each prompt of one batch, [S, V], batched as `mode` says.
    public func maskLogits(_ chunk: [PromptInput]) throws -> [Float] {
        let batch = PromptBatch(chunk, mode: mode, maxLength: encoder.format.maxLength, padId: model.padTokenId)
        let tokens = TokenBatch(batch: chunk.count, length: batch.length, ids: batch.ids, attentionMask: batch.attentionMask)
        let output = try model.forward(tokens, options: ForwardOptions(hiddenStates: false, logits: false, skipPadding: true))
        let h = model.hiddenSize
        var rows = [Float](repeating: 0, count: chunk.count * h)                    // [S, H]
        for (r, flat) in batch.selectedRows.enumerated() {
            for j in 0..<h { rows[r * h + j] = output.lastHiddenState[flat * h + j] }
        }
        return head.logits(rows, count: chunk.count)
    }
}

/// One batch of prompts laid out as the mode wants: `reference` pads every prompt to `maxLength` and
/// marks every position as attended (the authors pass no attention mask) and reads the first item's
/// mask position for all items; `corrected` pads to the longest prompt with a real attention mask.
public struct PromptBatch: Sendable {
    public let length: Int
    /// [B, T] token ids.
    public let ids: [Int32]
    /// [B, T] 1 = attended.
    public let attentionMask: [Int32]
    /// Flat row (b·T + position) of each item's mask.
    public let selectedRows: [Int]
    /// Attended length of each item (T for every item in `reference` mode).
    public let lengths: [Int]

    public init(_ items: [PromptInput], mode: PromptMode, maxLength: Int, padId: Int) {
        let t = mode.usesAttentionMask ? (items.map(\.ids.count).max() ?? 0) : max(maxLength, items.map(\.ids.count).max() ?? 0)
        var ids = [Int32](repeating: Int32(padId), count: items.count * t)
        var mask = [Int32](repeating: mode.usesAttentionMask ? 0 : 1, count: items.count * t)
        for (b, item) in items.enumerated() {
            for (i, id) in item.ids.enumerated() { ids[b * t + i] = id; mask[b * t + i] = 1 }
        }
        length = t
        self.ids = ids
        attentionMask = mask
        let first = items.first?.maskPosition ?? 0
        selectedRows = items.indices.map { $0 * t + (mode == .reference ? first : items[$0].maskPosition) }
        lengths = items.map { mode.usesAttentionMask ? $0.ids.count : t }
    }
}
