import Foundation
import XCTest
import Transformers
import _TestSupport

final class LayerTests: XCTestCase {
    private func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.nextUnit()) * 2 - 1 }
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

    /// The tabled, vectorised rotation equals the per-row scalar formula bit for bit, whatever rows come
    /// together: shared positions (tabled), scattered ones (computed per row), head sizes with and without
    /// a scalar tail, and the inverse rotation.
    func testRotaryTableMatchesPerRowFormulaBitForBit() {
        for (dim, heads) in [(24, 3), (64, 2), (6, 4), (16, 1)] {
            let rope = Rotary(dim: dim)
            let half = dim / 2
            for positions: [Int32] in [[0, 1, 2, 3, 0, 1, 2, 3, 511, 7], [5, 100_000, 3, 70_000, 9], [4]] {
                for inverse in [false, true] {
                    let rowStride = heads * dim + 5
                    var rng = SeededRandom(seed: UInt64(dim * 31 + positions.count))
                    let x0: [Float] = (0..<(positions.count * rowStride)).map { _ in Float(rng.nextUnit() * 4 - 2) }
                    var fast = x0, slow = x0
                    fast.withUnsafeMutableBufferPointer { p in
                        positions.withUnsafeBufferPointer {
                            if inverse {
                                TrainingKernels.rotary(p.baseAddress!, rows: positions.count, rowStride: rowStride,
                                                       heads: heads, headStride: dim, offset: 2, dim: dim,
                                                       positions: $0.baseAddress!, inverse: true)
                            } else {
                                rope.apply(p.baseAddress!, rows: positions.count, rowStride: rowStride, heads: heads,
                                           headStride: dim, offset: 2, positions: $0.baseAddress!)
                            }
                        }
                    }
                    for (r, pos) in positions.enumerated() {
                        for h in 0..<heads {
                            let base = r * rowStride + h * dim + 2
                            for j in 0..<half {
                                let exponent: Float = Float(2 * j) / Float(dim)
                                let angle: Float = Float(pos) * (1 / powf(10000, exponent))
                                let c: Float = cosf(angle)
                                let s: Float = (inverse ? -1 : 1) * sinf(angle)
                                let x1: Float = x0[base + j], x2: Float = x0[base + j + half]
                                let a: Float = x1 * c, b: Float = x2 * s, e: Float = x2 * c, f: Float = x1 * s
                                slow[base + j] = a - b
                                slow[base + j + half] = e + f
                            }
                        }
                    }
                    XCTAssertEqual(fast.map(\.bitPattern), slow.map(\.bitPattern),
                                   "dim \(dim) positions \(positions) inverse \(inverse)")
                }
            }
        }
    }

    func testSeededRandomIsStable() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        XCTAssertEqual(Set(xs).count, 5)
        XCTAssertTrue((0..<1000).allSatisfy { _ in let u = a.nextUnit(); return u >= 0 && u < 1 })
    }
}
