import Foundation
import Tensors
import Transformers
import XCTest

/// Backward passes against central finite differences on tiny shapes (relative errors printed).
final class TrainingGradientTests: XCTestCase {
    static func tinyConfig(rotary2D: Bool) -> PGLMConfiguration {
        var c = PGLMConfiguration(layers: 2, hidden: 16, heads: 2, ffn: 12, vocabSize: 40, causal: false, rotary2D: rotary2D)
        c.layernormEpsilon = 1e-5
        return c
    }

    /// A batch mixing the three mask kinds: row 0 MLM with padding, row 1 GLM (prefix 4), row 2 CLM.
    static func tinyBatch(rotary2D: Bool) -> TrainingBatch {
        let t = 7
        var ids = [Int32](repeating: 0, count: 3 * t)
        for i in 0..<(3 * t) { ids[i] = Int32(1 + (i * 7) % 27) }
        ids[3] = 28          // <mask>
        ids[5] = 0; ids[6] = 0   // padding of row 0
        ids[t + 3] = 29; ids[t + 4] = 32   // <gmask><sop>
        var pos = [Int32](repeating: 0, count: 3 * t), blk = pos
        for i in 0..<t {
            pos[i] = Int32(i)
            pos[t + i] = Int32(rotary2D ? min(i, 3) : i); blk[t + i] = Int32(max(i - 3, 0))
            pos[2 * t + i] = rotary2D ? 0 : Int32(i); blk[2 * t + i] = Int32(i)
        }
        let mask = TrainingMask(lengths: [5, t, t], prefixes: [t, 4, 0])
        let selected = [1, 3, t + 4, t + 5, t + 6, 2 * t, 2 * t + 2, 2 * t + 5]
        let targets: [Int32] = [5, 9, 12, 3, 34, 7, 1, 20]
        return TrainingBatch(batch: 3, length: t, ids: ids, positions: pos, blocks: rotary2D ? blk : nil,
                             mask: mask, selected: selected, targets: targets)
    }

    func loss(_ m: PGLMTrainingModel, _ b: TrainingBatch) -> Double {
        let logits = m.forward(b, training: false)
        return logits.withUnsafeBufferPointer {
            CrossEntropy.negativeLogLikelihood(logits: $0.baseAddress!, rows: b.selected.count, vocab: m.vocabularySize,
                                               targets: b.targets) / Double(b.selected.count)
        }
    }

    func checkModel(rotary2D: Bool, preLN: Bool = false) throws {
        var c = Self.tinyConfig(rotary2D: rotary2D)
        if preLN { c.deepnorm = false; c.applyResidualConnectionPostLayernorm = false }
        let m = try PGLMTrainingModel(config: c, seed: 7)
        // Larger weights than the 0.02 init so every path carries signal.
        let ps = m.parameters
        var rng = SeededRandom(seed: 3)
        for e in ps.entries where e.decay {
            for i in 0..<e.count { ps.values[e.offset + i] = Float(rng.nextUnit() - 0.5) * 0.6 }
        }
        let b = Self.tinyBatch(rotary2D: rotary2D)
        ps.zeroGradients()
        m.trainStep(b)
        var worst = 0.0
        for e in ps.entries {
            var num = 0.0, den = 0.0
            let stride = max(1, e.count / 12)
            for i in Swift.stride(from: 0, to: e.count, by: stride) {
                let k = e.offset + i
                let saved = ps.values[k]
                let h: Float = 1e-2
                ps.values[k] = saved + h
                let lp = loss(m, b)
                ps.values[k] = saved - h
                let lm = loss(m, b)
                ps.values[k] = saved
                let fd = (lp - lm) / (2 * Double(h))
                let an = Double(ps.gradients[k])
                num += (fd - an) * (fd - an)
                den += fd * fd + an * an
            }
            let rel = den > 0 ? (num / den).squareRoot() : 0
            worst = max(worst, rel)
            print(String(format: "grad %-58@ rel err %.2e", e.name as NSString, rel))
        }
        print("worst relative error (2-D RoPE \(rotary2D), pre-LN \(preLN)): \(worst)")
        XCTAssertLessThan(worst, 1e-3)
    }

    func testPGLMWholeModelGradients1D() throws { try checkModel(rotary2D: false) }
    func testPGLMWholeModelGradients2D() throws { try checkModel(rotary2D: true) }
    /// Pre-LN layout (α = 1, residual from the layer input), which protein.pretrain's `norm: pre` trains.
    func testPGLMWholeModelGradientsPreLN() throws { try checkModel(rotary2D: true, preLN: true) }

    /// The activation caches only grow: after a larger batch (stale values left beyond the small batch's
    /// rows), the small batch's loss and gradients are bit-identical to a fresh model's.
    func testCachesReusedAfterALargerBatchGiveIdenticalGradients() throws {
        let c = Self.tinyConfig(rotary2D: true)
        let used = try PGLMTrainingModel(config: c, seed: 7), fresh = try PGLMTrainingModel(config: c, seed: 7)
        let (bb, t) = (4, 11)
        let big = TrainingBatch(batch: bb, length: t, ids: (0..<(bb * t)).map { Int32(1 + ($0 * 5) % 27) },
                                positions: (0..<(bb * t)).map { Int32($0 % t) }, blocks: [Int32](repeating: 0, count: bb * t),
                                mask: TrainingMask(lengths: [t, t, 9, t], prefixes: [t, 3, 0, t]),
                                selected: [2, t + 5, 3 * t + 10], targets: [4, 5, 6])
        used.trainStep(big)
        let small = Self.tinyBatch(rotary2D: true)
        used.parameters.zeroGradients()
        let a = used.trainStep(small)
        let b = fresh.trainStep(small)
        XCTAssertEqual(a, b)
        let n = used.parameters.count
        let diff = (0..<n).map { abs(used.parameters.gradients[$0] - fresh.parameters.gradients[$0]) }.max() ?? 0
        print("reused caches: loss \(a) vs \(b), max gradient difference \(diff)")
        XCTAssertEqual(diff, 0)
    }
}
