import Foundation
import XCTest
import Tensors

/// Each vectorised kernel against its scalar reference (computed in Double): within 1e-6 relative,
/// i.e. |v − r| ≤ 1e-6·|r| + 1e-30. Row kernels whose outputs cross zero (normalisations) are
/// compared relative to max(|r|, 1), their natural unit scale.
final class KernelsTests: XCTestCase {
    /// Odd lengths exercise the vector body and the scalar tail; 70_001 crosses the threading threshold.
    let lengths = [1, 7, 8, 33, 1000, 70_001]

    /// max |v − r| / (|r| + floor/1e-6), or / max(|r|, 1) with `unitFloor`.
    func maxRelative(_ v: [Float], _ r: [Float], unitFloor: Bool = false, floor: Float = 1e-30) -> Float {
        zip(v, r).map { abs($0 - $1) / (unitFloor ? max(abs($1), 1) : abs($1) + floor / 1e-6) }.max() ?? 0
    }

    func checkUnary(_ name: String, lo: Float, hi: Float, tolerance: Float = 1e-6, floor: Float = 1e-30,
                    _ fast: (UnsafeMutablePointer<Float>, Int) -> Void,
                    _ ref: (UnsafeMutablePointer<Float>, Int) -> Void) {
        var rng = TestRandom(seed: UInt64(name.utf8.count))
        for n in lengths {
            var x = rng.floats(n, lo, hi)
            x[0] = 0
            var y = x, r = x
            fast(&y, n)
            ref(&r, n)
            let err = maxRelative(y, r, floor: floor)
            XCTAssertLessThanOrEqual(err, tolerance, "\(name) n=\(n)")
            if n == 1000 { print("\(name): max relative error \(err)") }
        }
    }

    func testAddMulScale() {
        var rng = TestRandom(seed: 1)
        for n in lengths {
            let a = rng.floats(n), b = rng.floats(n)
            var out = [Float](repeating: 0, count: n), ref = out
            Kernels.add(a, b, &out, count: n); Kernels.addReference(a, b, &ref, count: n)
            XCTAssertEqual(out, ref)
            Kernels.mul(a, b, &out, count: n); Kernels.mulReference(a, b, &ref, count: n)
            XCTAssertEqual(out, ref)
            var s = a, sr = a
            Kernels.scale(&s, count: n, by: 0.37); Kernels.scaleReference(&sr, count: n, by: 0.37)
            XCTAssertEqual(s, sr)
            var y = b, yr = b
            Kernels.addScaled(a, alpha: 2, to: &y, count: n)
            Kernels.addScaledReference(a, alpha: 2, to: &yr, count: n)
            XCTAssertLessThanOrEqual(maxRelative(y, yr), 1e-6)
            if n >= 7 {
                var rows = a, rowsRef = a
                Kernels.addRow(b, to: &rows, rows: n / 7, cols: 7)
                Kernels.addRowReference(b, to: &rowsRef, rows: n / 7, cols: 7)
                XCTAssertEqual(rows, rowsRef)
            }
        }
    }

    func testExp() {
        checkUnary("exp", lo: -87, hi: 88, { Kernels.exp($0, count: $1) }, { Kernels.expReference($0, count: $1) })
        checkUnary("exp small", lo: -2, hi: 2, { Kernels.exp($0, count: $1) }, { Kernels.expReference($0, count: $1) })
        var x: [Float] = [-.infinity, -1000, -88, 0]
        Kernels.exp(&x, count: 4)
        XCTAssertEqual(Array(x[0...1]), [0, 0])
        XCTAssertEqual(x[3], 1)
    }

    /// The softmax numerators of the fused attention: 2e-7 relative over the whole non-positive range (2.5e-7
    /// against the Float-rounded reference), exactly 1 at 0 (a row's maximum) and exactly 0 for −∞ (masked
    /// keys) and below e^−87.34.
    func testExpNonPositive() {
        checkUnary("expNonPositive", lo: -87.3, hi: 0, tolerance: 2.5e-7, { Kernels.expNonPositive($0, count: $1) },
                   { Kernels.expReference($0, count: $1) })
        checkUnary("expNonPositive small", lo: -1, hi: 0, tolerance: 2.5e-7, { Kernels.expNonPositive($0, count: $1) },
                   { Kernels.expReference($0, count: $1) })
        var x: [Float] = [-.infinity, -1000, -87.5, 0, -0.0, -Float.leastNonzeroMagnitude, -0.346_573_6, -0.346_573_7]
        Kernels.expNonPositive(&x, count: x.count)
        XCTAssertEqual(Array(x[0...2]), [0, 0, 0])
        XCTAssertEqual(Array(x[3...5]), [1, 1, 1])
        // Either side of −ln2/2, where the range reduction changes n.
        XCTAssertEqual(x[6], Float(Foundation.exp(-0.346_573_6)), accuracy: 2e-7)
        XCTAssertEqual(x[7], Float(Foundation.exp(-0.346_573_7)), accuracy: 2e-7)
    }

    func testSiLUAndGeluTanh() {
        checkUnary("silu", lo: -80, hi: 80, { Kernels.silu($0, count: $1) }, { Kernels.siluReference($0, count: $1) })
        checkUnary("silu small", lo: -4, hi: 4, { Kernels.silu($0, count: $1) }, { Kernels.siluReference($0, count: $1) })
        // For x ≲ −5 GELU is below 1e-6 and e^(−2u) amplifies the rounding of u in Float, so the far
        // negative tail (|GELU| < 1e-3 there) is held to 1e-6·|r| + 1e-9 absolute.
        checkUnary("geluTanh", lo: -12, hi: 12, floor: 1e-9, { Kernels.geluTanh($0, count: $1) },
                   { Kernels.geluTanhReference($0, count: $1) })
    }

    /// erf-GELU within 1e-6 absolute of ½x(1 + erf(x/√2)) evaluated in Double, on a dense grid.
    func testGeluErfAbsolute() {
        let n = 200_001
        var x = (0..<n).map { Float(-10 + 20 * Double($0) / Double(n - 1)) }
        let exact = x.map { v -> Double in let d = Double(v); return 0.5 * d * (1 + erf(d / 2.0.squareRoot())) }
        Kernels.gelu(&x, count: n)
        let err = zip(x, exact).map { abs(Double($0) - $1) }.max()!
        print("gelu(erf): max absolute error \(err)")
        XCTAssertLessThanOrEqual(err, 1e-6)
        var r = (0..<n).map { Float(-10 + 20 * Double($0) / Double(n - 1)) }
        Kernels.geluReference(&r, count: n)
        XCTAssertLessThanOrEqual(zip(r, exact).map { abs(Double($0) - $1) }.max()!, 1e-6)
    }

    func testSoftmaxWithMasks() {
        var rng = TestRandom(seed: 9)
        for (rows, cols) in [(1, 1), (3, 7), (5, 33), (4, 1000), (300, 65)] {
            let x = rng.floats(rows * cols, -8, 8)
            // Causal mask shared by all rows pattern, plus a per-row mask, plus no mask.
            var perRow = [Float](repeating: 0, count: rows * cols)
            for r in 0..<rows { for c in 0..<cols where c > r { perRow[r * cols + c] = -.infinity } }
            let shared = (0..<cols).map { $0 % 3 == 2 ? -Float.infinity : Float(-0.5) }
            for variant in 0..<3 {
                var y = x, ref = x
                switch variant {
                case 0:
                    Kernels.softmax(&y, rows: rows, cols: cols, scale: 0.7)
                    Kernels.softmaxReference(&ref, rows: rows, cols: cols, scale: 0.7)
                case 1:
                    Kernels.softmax(&y, rows: rows, cols: cols, mask: perRow)
                    Kernels.softmaxReference(&ref, rows: rows, cols: cols, mask: perRow)
                default:
                    Kernels.softmax(&y, rows: rows, cols: cols, mask: shared, maskRowStride: 0)
                    Kernels.softmaxReference(&ref, rows: rows, cols: cols, mask: shared, maskRowStride: 0)
                }
                XCTAssertLessThanOrEqual(maxRelative(y, ref), 1e-6, "rows=\(rows) cols=\(cols) variant=\(variant)")
            }
        }
        var allMasked: [Float] = [1, 2, 3]
        Kernels.softmax(&allMasked, rows: 1, cols: 3, mask: [-.infinity, -.infinity, -.infinity])
        XCTAssertEqual(allMasked, [0, 0, 0])
    }

    func testLayerNormAndRMSNorm() {
        var rng = TestRandom(seed: 4)
        for (rows, cols) in [(1, 1), (2, 7), (3, 33), (5, 768), (200, 65)] {
            // A large common offset checks the two-pass variance.
            let x = rng.floats(rows * cols).map { $0 * 3 + 10 }
            let gamma = rng.floats(cols, 0.5, 1.5), beta = rng.floats(cols)
            var y = [Float](repeating: 0, count: rows * cols), ref = y
            Kernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: 1e-5, out: &y)
            Kernels.layerNormReference(x, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: 1e-5, out: &ref)
            XCTAssertLessThanOrEqual(maxRelative(y, ref, unitFloor: true), 1e-6, "layerNorm \(rows)x\(cols)")
            Kernels.layerNorm(x, rows: rows, cols: cols, gamma: gamma, beta: nil, eps: 1e-5, out: &y)
            Kernels.layerNormReference(x, rows: rows, cols: cols, gamma: gamma, beta: nil, eps: 1e-5, out: &ref)
            XCTAssertLessThanOrEqual(maxRelative(y, ref, unitFloor: true), 1e-6, "layerNorm no beta \(rows)x\(cols)")
            Kernels.rmsNorm(x, rows: rows, cols: cols, gamma: gamma, eps: 1e-6, out: &y)
            Kernels.rmsNormReference(x, rows: rows, cols: cols, gamma: gamma, eps: 1e-6, out: &ref)
            XCTAssertLessThanOrEqual(maxRelative(y, ref), 1e-6, "rmsNorm \(rows)x\(cols)")
        }
        // In place.
        var x: [Float] = [1, 2, 3, 4]
        let g: [Float] = [1, 1, 1, 1]
        x.withUnsafeMutableBufferPointer { p in
            Kernels.layerNorm(p.baseAddress!, rows: 1, cols: 4, gamma: g, beta: nil, eps: 0, out: p.baseAddress!)
        }
        XCTAssertEqual(x[0], -1.3416408, accuracy: 1e-6)
    }
}
