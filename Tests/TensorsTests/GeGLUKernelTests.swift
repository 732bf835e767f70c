import Foundation
import XCTest
import Tensors

/// The training activations (GeGLU forward and backward, GELU backward) against their Double references,
/// relative to max(|r|, 1). GELU′ is within 1e-6; GeGLU multiplies Φ (erfc approximation, 1.5e-7) by a·g, up
/// to 36 here, so it is held to 3e-6. Half widths 384 (pglm-tiny) and 13 (a vector tail), values in [−6, 6].
final class GeGLUKernelTests: XCTestCase {
    func maxDiff(_ v: [Float], _ r: [Float]) -> Float { zip(v, r).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0 }

    func testGeGLUForwardAndBackwardMatchReference() {
        var rng = TestRandom(seed: 17)
        for (rows, f) in [(70, 384), (3, 13), (1, 1)] {
            let u = rng.floats(rows * 2 * f, -6, 6), dy = rng.floats(rows * f, -2, 2)
            var y = [Float](repeating: .nan, count: rows * f), yr = y
            Kernels.geglu(u, &y, rows: rows, halfWidth: f)
            Kernels.gegluReference(u, &yr, rows: rows, halfWidth: f)
            var du = [Float](repeating: .nan, count: rows * 2 * f), dur = du
            Kernels.gegluBackward(du: &du, dy: dy, u: u, rows: rows, halfWidth: f)
            Kernels.gegluBackwardReference(du: &dur, dy: dy, u: u, rows: rows, halfWidth: f)
            let (e1, e2) = (maxDiff(y, yr), maxDiff(du, dur))
            print("geglu \(rows)×\(f): forward max diff \(e1), backward max diff \(e2)")
            XCTAssertLessThanOrEqual(e1, 3e-6)
            XCTAssertLessThanOrEqual(e2, 3e-6)
        }
    }

    func testGeluBackwardMatchesReference() {
        var rng = TestRandom(seed: 5)
        for n in [1, 13, 1000, 70_001] {
            let x = rng.floats(n, -8, 8), dy = rng.floats(n, -2, 2)
            var dx = [Float](repeating: .nan, count: n), dxr = dx
            Kernels.geluBackward(dx: &dx, dy: dy, x: x, count: n)
            Kernels.geluBackwardReference(dx: &dxr, dy: dy, x: x, count: n)
            let e = maxDiff(dx, dxr)
            if n == 1000 { print("gelu backward: max diff \(e)") }
            XCTAssertLessThanOrEqual(e, 1e-6, "n=\(n)")
        }
    }
}
