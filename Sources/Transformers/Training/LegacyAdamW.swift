import Foundation

/// `transformers.AdamW` as the authors ran it (transformers 4.13, `correct_bias=True`, weight decay 0):
/// p ← p − lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε). Unlike torch's AdamW, ε is added to √v before the
/// bias correction, so the effective ε is ε/√(1 − β₂ᵗ); with the authors' ε = 1e-6 that matters in
/// the first steps of a few-shot run.
public final class LegacyAdamW {
    public let beta1: Float, beta2: Float, eps: Float
    /// Optimiser steps taken.
    public private(set) var step = 0
    /// [count] moments, in the parameter set's layout.
    private var m: [Float], v: [Float]

    public init(count: Int, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-6) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    /// One update of every parameter from its gradient.
    public func update(_ p: ParameterSet, lr: Float) {
        step += 1
        // Computed in Double as Python does, then rounded once.
        let stepSize = Float(Double(lr) * (1 - pow(Double(beta2), Double(step))).squareRoot() / (1 - pow(Double(beta1), Double(step))))
        let b1 = beta1, b2 = beta2, e = eps
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                let x = p.values, g = p.gradients, mm = mb.baseAddress!, vv = vb.baseAddress!
                for i in 0..<p.count {
                    mm[i] = b1 * mm[i] + (1 - b1) * g[i]
                    vv[i] = b2 * vv[i] + (1 - b2) * g[i] * g[i]
                    x[i] -= stepSize * mm[i] / (vv[i].squareRoot() + e)
                }
            }
        }
    }
}
