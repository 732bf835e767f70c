import Foundation
import Formats
import Tensors
import Tokenizers
import Transformers

/// Which parameters continued masked-LM training updates.
public enum MLMAdaptMode: String, CaseIterable, Sendable {
    /// The masked-LM head's transform and output bias; the encoder (and the tied decoder) stay frozen.
    case head
    /// The head and the top `topLayers` encoder layers.
    case top
    /// Every parameter, embeddings included.
    case all
}

/// Settings of a continued masked-LM training run.
public struct MLMAdaptOptions: Sendable {
    public var mode: MLMAdaptMode = .head
    public var topLayers = 2
    public var steps = 300
    public var batchSize = 16
    public var maxLength = 128
    /// Peak learning rate; nil: 1e-3 for `head`, 2e-4 for `top`, 1e-4 for `all`.
    public var learningRate: Float?
    /// Linear warm-up steps; nil: 6 % of the steps.
    public var warmup: Int?
    public var weightDecay: Float = 0.01
    public var clip = 1.0
    public var dropout: Float = 0.1
    public var wholeWord = false
    public var maskProbability = 0.15
    public var evalEvery = 50
    /// Held-out blocks evaluated (the first ones; the same every evaluation).
    public var evalBlocks = 128
    public var seed: UInt64 = 0
    /// Stop (and save) after this much training time (the schedule is not shortened: resume to finish it).
    public var maxMinutes: Double?
    /// End this session after this step (checkpoint saved); the schedule still spans `steps`, so a later
    /// session resumes where this one stopped.
    public var stopAfter: Int?

    public init() {}

    /// Whether the parameter `name` of a model with `layerCount` layers is trained in this mode: the head's
    /// transform and output bias always (`cls.*`, `lm_head.*`; the decoder is the tied word embedding), the
    /// top layers in `top`, everything in `all`.
    public func trains(_ name: String, layerCount: Int) -> Bool {
        if name.hasPrefix("cls.") || name.hasPrefix("lm_head.") { return true }
        switch mode {
        case .head: return false
        case .all: return true
        case .top:
            guard let r = name.range(of: "encoder.layer."), let layer = Int(name[r.upperBound...].prefix { $0.isNumber }) else { return false }
            return layer >= layerCount - topLayers
        }
    }

    public var peakLearningRate: Float {
        learningRate ?? (mode == .head ? 1e-3 : mode == .top ? 2e-4 : 1e-4)
    }
}

/// Continues masked-LM training of a BERT or RoBERTa checkpoint on token blocks: seeded batches (a pure
/// function of seed and step, so a resumed run sees the same data), AdamW with linear warm-up and decay,
/// gradient clipping, held-out loss / perplexity / top-1 / top-10 accuracy every `evalEvery` steps.
public final class MLMAdapter {
    public let model: EncoderTrainingModel
    public let blocks: MLMBlocks
    public let options: MLMAdaptOptions
    let masking: MLMMasking
    let optimizer: AdamW
    let schedule: LinearSchedule
    /// Optimiser steps done.
    public internal(set) var step = 0
    /// Every log record written so far (training windows and evaluations).
    public internal(set) var records: [[String: Any]] = []
    public var say: (String) -> Void = { _ in }
    /// Identifies the run's configuration in its checkpoints (`MLMFingerprint`); empty when not set.
    public var fingerprint = ""

    public init(model: EncoderTrainingModel, blocks: MLMBlocks, maskId: Int, options: MLMAdaptOptions) throws {
        guard !blocks.train.isEmpty else {
            throw PromptAlignError.invalidParameter(name: "text", value: "0 training blocks", expected: "some unlabelled text to train on")
        }
        guard options.mode != .top || (1...model.layerCount).contains(options.topLayers) else {
            throw PromptAlignError.invalidParameter(name: "top_layers", value: String(options.topLayers),
                                                    expected: "1…\(model.layerCount) (the model's layers)")
        }
        guard options.steps >= 1, options.batchSize >= 1, options.evalEvery >= 1 else {
            throw PromptAlignError.invalidParameter(name: "steps/batch_size/eval_every", value: "\(options.steps)/\(options.batchSize)/\(options.evalEvery)",
                                                    expected: "each at least 1")
        }
        guard options.maxLength <= model.maxPositions else {
            throw PromptAlignError.invalidParameter(name: "max_length", value: String(options.maxLength),
                                                    expected: "at most the model's \(model.maxPositions) positions")
        }
        let top = (blocks.train + blocks.heldOut).lazy.compactMap { $0.ids.max() }.max() ?? 0
        guard Int(top) < model.vocabularySize, maskId < model.vocabularySize else {
            throw PromptAlignError.mismatch(what: "tokenizer and model", expected: "token ids below the model's vocab_size \(model.vocabularySize)",
                                            found: "id \(max(Int(top), maskId))")
        }
        self.model = model
        self.blocks = blocks
        self.options = options
        masking = MLMMasking(probability: options.maskProbability, wholeWord: options.wholeWord, maskId: Int32(maskId),
                             vocabulary: model.vocabularySize)
        optimizer = AdamW(count: model.parameters.count, weightDecay: options.weightDecay)
        schedule = LinearSchedule(peak: options.peakLearningRate,
                                  warmup: options.warmup ?? Int((Double(options.steps) * 0.06).rounded()), total: options.steps)
        model.dropout = options.dropout
        model.trainedLayers = options.mode == .head ? 0 : options.mode == .top ? options.topLayers : .max
    }

    /// Whether the optimiser updates `entry` in this mode.
    public func trains(_ entry: ParameterSet.Entry) -> Bool { options.trains(entry.name, layerCount: model.layerCount) }

    /// The masked batch of `step`: blocks in a fresh seeded order each pass over the data.
    public func batch(step: Int) -> TrainingBatch {
        let n = blocks.train.count, b = options.batchSize
        var picked: [MLMBlocks.Block] = []
        for k in 0..<b {
            let global = step * b + k, pass = global / n
            var order = Array(0..<n)
            var rng = SeededRandom(seed: options.seed &+ 0x5EED &+ UInt64(pass) &* 0x9E37_79B9)
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            picked.append(blocks.train[order[global % n]])
        }
        var rng = SeededRandom(seed: options.seed ^ (0xA5A5_0000 &+ UInt64(step)))
        return trainingBatch(picked.map { masking.apply($0, rng: &rng) })
    }

    /// Right-padded [B, T] batch of masked blocks, selected rows = the masked positions.
    func trainingBatch(_ items: [(ids: [Int32], positions: [Int], targets: [Int32])]) -> TrainingBatch {
        let t = items.map(\.ids.count).max() ?? 0, pad = model.padTokenId
        var ids: [Int32] = [], selected: [Int] = [], targets: [Int32] = []
        for (r, item) in items.enumerated() {
            ids += item.ids + [Int32](repeating: pad, count: t - item.ids.count)
            selected += item.positions.map { r * t + $0 }
            targets += item.targets
        }
        let lengths = items.map(\.ids.count)
        return TrainingBatch(batch: items.count, length: t, ids: ids, positions: model.positionIds(ids, batch: items.count, length: t),
                             mask: TrainingMask(lengths: lengths, prefixes: lengths), selected: selected, targets: targets)
    }
}
