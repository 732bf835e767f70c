import Foundation

/// A loss on the logits of selected positions: given logits [S, V] it returns the loss and writes
/// d(loss)/d(logits) [S, V]. Cross-entropy is the standard one; Prompt-and-Align plugs in its BCE over two
/// label words at the `[MASK]` position the same way.
public typealias SelectedLogitsLoss =
    (_ logits: UnsafePointer<Float>, _ rows: Int, _ vocab: Int, _ dlogits: UnsafeMutablePointer<Float>) -> Double

/// Softmax cross-entropy over selected rows.
public enum CrossEntropy {
    /// Mean over rows of −log softmax(logits)[target], times `scale` (e.g. 1/accumulation steps); the
    /// gradient is (softmax − onehot)·scale/rows.
    public static func loss(targets: [Int32], scale: Float = 1) -> SelectedLogitsLoss {
        return { logits, rows, vocab, dlogits in
            precondition(rows == targets.count, "one target per selected row")
            guard rows > 0 else { return 0 }
            var total: Double = 0
            let g = scale / Float(rows)
            for r in 0..<rows {
                let z = logits + r * vocab, d = dlogits + r * vocab
                var mx = -Float.infinity
                for j in 0..<vocab { mx = max(mx, z[j]) }
                var sum: Float = 0
                for j in 0..<vocab { d[j] = expf(z[j] - mx); sum += d[j] }
                let t = Int(targets[r])
                total += Double(logf(sum) + mx - z[t])
                let inv = 1 / sum
                for j in 0..<vocab { d[j] *= inv * g }
                d[t] -= g
            }
            return total / Double(rows) * Double(scale)
        }
    }

    /// Σ over rows of −log softmax(logits)[target] (evaluation; no gradient).
    public static func negativeLogLikelihood(logits: UnsafePointer<Float>, rows: Int, vocab: Int,
                                             targets: [Int32]) -> Double {
        var total: Double = 0
        for r in 0..<rows {
            let z = logits + r * vocab
            var mx = -Float.infinity
            for j in 0..<vocab { mx = max(mx, z[j]) }
            var sum: Double = 0
            for j in 0..<vocab { sum += Double(expf(z[j] - mx)) }
            total += log(sum) + Double(mx - z[Int(targets[r])])
        }
        return total
    }
}
