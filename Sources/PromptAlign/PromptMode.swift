import Foundation

/// How faithfully the authors' forward pass is reproduced.
public enum PromptMode: String, Sendable, CaseIterable {
    /// The authors' code, quirks included: no attention mask (every prompt padded to `maxLength`, the
    /// padding attended to), the mask position of a batch's first item used for the whole batch, label
    /// probabilities read off a softmax over the whole vocabulary (not renormalised), and at K = 16 a
    /// learning-rate schedule sized for 5 batches per epoch.
    case reference
    /// The same method with the quirks fixed: attention mask passed (batches padded to their longest
    /// prompt), each item's own mask position, probabilities renormalised over the two label words, the
    /// schedule sized for the batches actually run.
    case corrected

    /// Whether the model sees an attention mask (and so whether padding to `maxLength` can be skipped).
    public var usesAttentionMask: Bool { self == .corrected }
}

/// Label-word probabilities from the logits at the mask, and the authors' BCE loss on them.
public enum LabelWordScore {
    /// [p(real word), p(fake word)] from one row of logits [V]: softmax over the whole vocabulary
    /// (`reference`) or over the two label words (`corrected`).
    public static func probabilities(_ logits: UnsafePointer<Float>, vocabulary v: Int, labelIds: [Int],
                                     mode: PromptMode) -> SIMD2<Float> {
        switch mode {
        case .reference:
            let (mx, sum) = softmaxShift(logits, count: v)
            return SIMD2(expf(logits[labelIds[0]] - mx) / sum, expf(logits[labelIds[1]] - mx) / sum)
        case .corrected:
            let a = logits[labelIds[0]], b = logits[labelIds[1]], mx = max(a, b)
            let ea = expf(a - mx), eb = expf(b - mx)
            return SIMD2(ea / (ea + eb), eb / (ea + eb))
        }
    }

    /// The max of `z[0..<count]` and Σ exp(z − max): softmax(z)_j = exp(z_j − max) / sum, as torch computes it.
    static func softmaxShift(_ z: UnsafePointer<Float>, count v: Int) -> (max: Float, sum: Float) {
        var mx = -Float.infinity
        for j in 0..<v { mx = max(mx, z[j]) }
        var sum: Float = 0
        for j in 0..<v { sum += expf(z[j] - mx) }
        return (mx, sum)
    }

    /// torch `BCELoss` (mean over rows × 2, logs clamped at −100) of label-word probabilities against the
    /// one-hot labels (real → [1, 0], fake → [0, 1]); writes d(loss)/d(logits) [S, V] for every row.
    public static func bceLoss(logits: UnsafePointer<Float>, rows: Int, vocabulary v: Int, labels: [Int], labelIds: [Int],
                               mode: PromptMode, dlogits: UnsafeMutablePointer<Float>) -> Double {
        precondition(labels.count == rows, "one label per selected row")
        dlogits.update(repeating: 0, count: rows * v)
        guard rows > 0 else { return 0 }
        var total: Double = 0
        let scale = 1 / Float(2 * rows)
        for r in 0..<rows {
            let z = logits + r * v, d = dlogits + r * v
            let p = probabilities(z, vocabulary: v, labelIds: labelIds, mode: mode)
            var g = SIMD2<Float>()                          // d(loss)/d(p_k)
            for k in 0..<2 {
                let y: Float = labels[r] == k ? 1 : 0
                total -= Double(y * max(logf(p[k]), -100) + (1 - y) * max(logf(1 - p[k]), -100))
                // torch's BCELoss backward: (p − y) / max(p(1 − p), 1e-12).
                g[k] = scale * (p[k] - y) / max(p[k] * (1 - p[k]), 1e-12)
            }
            // p_k = s[w_k] with s a softmax over a set of columns C: dp_k/dz_j = s[w_k](δ − s_j) for j ∈ C.
            let dot = g[0] * p[0] + g[1] * p[1]
            switch mode {
            case .reference:
                let (mx, sum) = softmaxShift(z, count: v)
                let inv = 1 / sum
                for j in 0..<v { d[j] = -expf(z[j] - mx) * inv * dot }
                d[labelIds[0]] += g[0] * p[0]
                d[labelIds[1]] += g[1] * p[1]
            case .corrected:
                d[labelIds[0]] = p[0] * (g[0] - dot)
                d[labelIds[1]] = p[1] * (g[1] - dot)
            }
        }
        return total * Double(scale)
    }
}
