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

    func testSeededRandomIsStable() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        XCTAssertEqual(Set(xs).count, 5)
        XCTAssertTrue((0..<1000).allSatisfy { _ in let u = a.nextUnit(); return u >= 0 && u < 1 })
    }
}
