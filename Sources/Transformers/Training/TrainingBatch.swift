import Foundation

/// One training or evaluation batch: token ids, positions and attention pattern, and the positions whose
/// logits enter the loss.
public struct TrainingBatch: Sendable {
    public var batch: Int
    public var length: Int
    /// [B·T] token ids (padding included).
    public var ids: [Int32]
    /// [B·T] position ids (1-D RoPE, or the first half of 2-D RoPE).
    public var positions: [Int32]
    /// [B·T] block position ids (second half of 2-D RoPE); nil for 1-D models.
    public var blocks: [Int32]?
    /// [B·T] token type ids (BERT); nil means all zero.
    public var tokenTypes: [Int32]?
    public var mask: TrainingMask
    /// Flat row indices (b·T + t) whose logits enter the loss.
    public var selected: [Int]
    /// Target id per selected row (for cross-entropy).
    public var targets: [Int32]

    public init(batch: Int, length: Int, ids: [Int32], positions: [Int32], blocks: [Int32]? = nil,
                tokenTypes: [Int32]? = nil, mask: TrainingMask, selected: [Int], targets: [Int32]) {
        self.batch = batch
        self.length = length
        self.ids = ids
        self.positions = positions
        self.blocks = blocks
        self.tokenTypes = tokenTypes
        self.mask = mask
        self.selected = selected
        self.targets = targets
    }
}

/// A model that can be trained: forward with cached activations, then backward into its parameter set.
public protocol TrainableModel: AnyObject {
    var parameters: ParameterSet { get }
    /// Dropout probability used when `training` is true.
    var dropout: Float { get set }
    /// Runs the forward pass, caching what backward needs; returns the logits of the selected rows [S, V].
    func forward(_ batch: TrainingBatch, training: Bool) -> [Float]
    /// Backward from d(loss)/d(selected logits) [S, V]; gradients are added to `parameters.gradients`.
    func backward(_ dlogits: [Float])
    var vocabularySize: Int { get }
    /// Writes `config.json` + `model.safetensors` in the family's checkpoint layout.
    func save(to directory: URL, dtype: SafetensorsDTypeName) throws
}

/// Storage type of saved weights.
public enum SafetensorsDTypeName: String, Sendable { case f32, bf16 }

extension TrainableModel {
    /// Forward, loss on the selected logits, backward; returns the loss.
    @discardableResult
    public func trainStep(_ batch: TrainingBatch, loss: SelectedLogitsLoss) -> Double {
        let logits = forward(batch, training: true)
        var d = [Float](repeating: 0, count: logits.count)
        let value = logits.withUnsafeBufferPointer { lp in
            d.withUnsafeMutableBufferPointer { dp in
                loss(lp.baseAddress!, batch.selected.count, vocabularySize, dp.baseAddress!)
            }
        }
        backward(d)
        return value
    }

    /// Cross-entropy step on the batch's own targets, scaled by `scale` (gradient accumulation).
    @discardableResult
    public func trainStep(_ batch: TrainingBatch, scale: Float = 1) -> Double {
        trainStep(batch, loss: CrossEntropy.loss(targets: batch.targets, scale: scale))
    }

    /// Σ NLL of the batch's targets and their count (no gradients, dropout off).
    public func evaluate(_ batch: TrainingBatch) -> (nll: Double, count: Int) {
        let logits = forward(batch, training: false)
        let nll = logits.withUnsafeBufferPointer {
            CrossEntropy.negativeLogLikelihood(logits: $0.baseAddress!, rows: batch.selected.count,
                                               vocab: vocabularySize, targets: batch.targets)
        }
        return (nll, batch.selected.count)
    }
}
