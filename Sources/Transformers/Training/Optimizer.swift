import Foundation

/// AdamW exactly as torch.optim.AdamW: decoupled weight decay p ← p − lr·λ·p, then
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε). Weight decay applies to entries marked `decay`.
public final class AdamW {
    public var beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    /// Optimiser steps taken (t in the bias corrections).
    public private(set) var step: Int = 0
    /// [count] first and second moments, in the parameter set's layout.
    public private(set) var m: [Float]
    public private(set) var v: [Float]

    public init(count: Int, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    /// Restores moments and step count (resuming from a checkpoint).
    public func restore(m: [Float], v: [Float], step: Int) {
        precondition(m.count == self.m.count && v.count == self.v.count)
        self.m = m
        self.v = v
        self.step = step
    }

    /// One update of every parameter from its gradient at learning rate `lr`; entries `trained` rejects stay
    /// exactly as they are (no weight decay either) and keep zero moments.
    public func update(_ p: ParameterSet, lr: Float, trained: (ParameterSet.Entry) -> Bool = { _ in true }) {
        step += 1
        let bc1 = 1 - powf(beta1, Float(step))
        let bc2Sqrt = (1 - powf(beta2, Float(step))).squareRoot()
        let stepSize = lr / bc1
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                for e in p.entries where trained(e) {
                    let decay: Float = e.decay ? 1 - lr * weightDecay : 1
                    let x = p.values + e.offset, g = p.gradients + e.offset
                    let mm = mb.baseAddress! + e.offset, vv = vb.baseAddress! + e.offset
                    for i in 0..<e.count {
                        x[i] *= decay
                        mm[i] = beta1 * mm[i] + (1 - beta1) * g[i]
                        vv[i] = beta2 * vv[i] + (1 - beta2) * g[i] * g[i]
                        let denom = vv[i].squareRoot() / bc2Sqrt + eps
                        x[i] -= stepSize * mm[i] / denom
                    }
                }
            }
        }
    }
}

/// Linear warm-up from 0 to the peak over `warmup` steps, then linear decay to 0 at `total` steps
/// (transformers `get_linear_schedule_with_warmup`); `lr(at:)` takes the 0-based optimiser step.
public struct LinearSchedule: Sendable {
    public var peak: Float
    public var warmup: Int
    public var total: Int

    public init(peak: Float, warmup: Int, total: Int) {
        self.peak = peak
        self.warmup = warmup
        self.total = total
    }

    public func lr(at step: Int) -> Float {
        if step < warmup { return peak * Float(step) / Float(max(1, warmup)) }
        return peak * max(0, Float(total - step) / Float(max(1, total - warmup)))
    }
}
