import Foundation
import XCTest
import Transformers
import _TestSupport

final class LayerTests: XCTestCase {
    private func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.nextUnit()) * 2 - 1 }
    }

    /// The batched-GEMM attention against its scalar reference, for every mask pattern, grouped KV heads,
    /// padding, explicit additive masks and cache offsets.
    func testAttentionMatchesReference() {
        let b = 3, tq = 7, heads = 4, d = 8
        for kvHeads in [4, 2, 1] {
            for (label, pattern, start, tk) in [("bidirectional", AttentionMask.Pattern.bidirectional, [0, 0, 0], 7),
                                                 ("causal", .causal, [0, 0, 0], 7),
                                                 ("prefix", .prefix([2, 4, 7]), [0, 0, 0], 7),
                                                 ("cached causal", .causal, [3, 5, 9], 16)] {
                var q = random(b * tq * heads * d, seed: 1)
                var k = random(b * tk * kvHeads * d, seed: 2)
                var v = random(b * tk * kvHeads * d, seed: 3)
                var valid = [UInt8](repeating: 1, count: b * tk)
                for j in 5..<tk { valid[1 * tk + j] = 0 }           // sequence 1 padded from key 5
                var mask = AttentionMask(pattern: pattern, keyValid: valid, keyStride: tk, queryStart: start)
                mask.openPaddedQueries = label == "causal"
                let keyCount = start.map { min(tk, $0 + tq) }
                var fast = [Float](repeating: 0, count: b * tq * heads * d), slow = fast
                q.withUnsafeMutableBufferPointer { qp in
                    k.withUnsafeMutableBufferPointer { kp in
                        v.withUnsafeMutableBufferPointer { vp in
                            let qv = HeadView(base: qp.baseAddress!, batchStride: tq * heads * d, rowStride: heads * d, headStride: d)
                            let kv = HeadView(base: kp.baseAddress!, batchStride: tk * kvHeads * d, rowStride: kvHeads * d, headStride: d)
                            let vv = HeadView(base: vp.baseAddress!, batchStride: tk * kvHeads * d, rowStride: kvHeads * d, headStride: d)
                            fast.withUnsafeMutableBufferPointer { fp in
                                let ov = HeadView(base: fp.baseAddress!, batchStride: tq * heads * d, rowStride: heads * d, headStride: d)
                                ScaledDotProductAttention.compute(q: qv, k: kv, v: vv, out: ov, batch: b, queries: tq,
                                    keyCount: keyCount, heads: heads, kvHeads: kvHeads, headDim: d, scale: 0.35, mask: mask)
                            }
                            slow.withUnsafeMutableBufferPointer { sp in
                                let ov = HeadView(base: sp.baseAddress!, batchStride: tq * heads * d, rowStride: heads * d, headStride: d)
                                ScaledDotProductAttention.reference(q: qv, k: kv, v: vv, out: ov, batch: b, queries: tq,
                                    keyCount: keyCount, heads: heads, kvHeads: kvHeads, headDim: d, scale: 0.35, mask: mask)
                            }
                        }
                    }
                }
                let diff = TestSupport.maxAbsDiff(fast, slow, label: "attention \(label), \(kvHeads) kv heads")
                XCTAssertLessThan(diff, 1e-5, label)
            }
        }
    }

    func testGatedActivationsMatchReferenceAndHalfOrder() {
        let rows = 3, f = 37
        let u = random(rows * 2 * f, seed: 5)
        for glu in [GatedActivation.geglu, .swiglu] {
            var fast = [Float](repeating: 0, count: rows * f), slow = fast
            var work = u
            work.withUnsafeMutableBufferPointer { w in
                fast.withUnsafeMutableBufferPointer { glu.apply(w.baseAddress!, rows: rows, halfWidth: f, out: $0.baseAddress!) }
            }
            u.withUnsafeBufferPointer { w in
                slow.withUnsafeMutableBufferPointer { glu.reference(w.baseAddress!, rows: rows, halfWidth: f, out: $0.baseAddress!) }
            }
            XCTAssertLessThan(TestSupport.maxAbsDiff(fast, slow, label: "\(glu) vs reference"), 1e-6)
            // The first half is the linear one: out = u₁ · act(u₂).
            let act: Activation = glu == .geglu ? .geluErf : .silu
            XCTAssertEqual(slow[0], u[0] * act.apply(u[f]), accuracy: 1e-6)
        }
    }

    func testRotaryRotatesHalvesAndKeepsNorm() {
        let rope = Rotary(dim: 4)
        var x: [Float] = [1, 2, 3, 4]
        let pos: [Int32] = [3]
        x.withUnsafeMutableBufferPointer { p in
            pos.withUnsafeBufferPointer { rope.apply(p.baseAddress!, rows: 1, rowStride: 4, heads: 1, headStride: 4, offset: 0, positions: $0.baseAddress!) }
        }
        // θ = (1, 0.01): x₁' = x₁cos − x₃sin, x₃' = x₃cos + x₁sin (pairs j, j + dim/2).
        XCTAssertEqual(x[0], 1 * cos(3) - 3 * sin(3), accuracy: 1e-5)
        XCTAssertEqual(x[2], 3 * cos(3) + 1 * sin(3), accuracy: 1e-5)
        XCTAssertEqual(x[1], 2 * cos(0.03) - 4 * sin(0.03), accuracy: 1e-5)
        XCTAssertEqual(x.map { $0 * $0 }.reduce(0, +), 30, accuracy: 1e-4)
    }

    func testSeededRandomIsStable() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        XCTAssertEqual(Set(xs).count, 5)
        XCTAssertTrue((0..<1000).allSatisfy { _ in let u = a.nextUnit(); return u >= 0 && u < 1 })
    }
}
