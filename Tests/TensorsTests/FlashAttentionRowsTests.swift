import Foundation
import Tensors
import XCTest

/// A query row of `FlashAttention.run` has the same bits whether it ran in a tile of many rows (six-row,
/// three-row and single-row groups, 16-column tiles and the narrow 8-column part of head sizes like 24) or
/// alone, and stays within float tolerance of a scalar softmax(q·kᵀ)·v.
final class FlashAttentionRowsTests: XCTestCase {
    func testRowsDoNotDependOnTheirTile() {
        for d in [24, 13, 40, 8] {
            for wide in [false, true] where !wide || CPU.hasAVX512 {
                let saved = CPU.useAVX512
                CPU.useAVX512 = wide
                defer { CPU.useAVX512 = saved }
                check(rows: 17, keys: 150, dim: d)
            }
        }
    }

    /// Rows whose every score is −∞ (q·k = −∞) or NaN see no key: they get the mean of the values, on the
    /// AVX-512 path (whose open-block kernel hands such a tile back to the general step) as on the AVX2 one,
    /// with the same bits for every row; full 64-key blocks and a partial one.
    func testRowsWithNoFiniteScoreOnBothPaths() {
        let rows = 13, keys = 150, d = 16
        func values(_ n: Int, _ seed: Int) -> [Float] { (0..<n).map { Float(sin(Double($0 * 7 + seed) * 0.53)) } }
        var q = values(rows * d, 4), k = values(keys * d, 5)
        let v = values(keys * d, 6)
        for j in 0..<keys { k[j * d] = abs(k[j * d]) + 0.5 }
        q[2 * d] = -.infinity
        q[9 * d] = -.infinity
        q[4 * d] = .nan
        var kT = [Float](repeating: 0, count: FlashAttention.packedKeysCount(keys: keys, dim: d))
        FlashAttention.packKeys(k, stride: d, keys: keys, dim: d, into: &kT)
        let masks = [FlashAttention.RowMask](repeating: .init(limit: keys, bias: nil), count: rows)
        var outputs: [[Float]] = []
        for wide in [false, true] where !wide || CPU.hasAVX512 {
            let saved = CPU.useAVX512
            CPU.useAVX512 = wide
            defer { CPU.useAVX512 = saved }
            var out = [Float](repeating: .nan, count: rows * d)
            FlashAttention.run(q: q, qStride: d, rows: rows, kT: kT, v: v, vStride: d, keys: keys, dim: d, scale: 0.25,
                               masks: masks, out: &out, outStride: d, scratch: FlashAttention.Scratch(dim: d))
            for i in [2, 4, 9] {
                for x in 0..<d {
                    let mean = (0..<keys).reduce(Float(0)) { $0 + v[$1 * d + x] } / Float(keys)
                    XCTAssertEqual(out[i * d + x], mean, accuracy: 1e-5, "row \(i) column \(x), AVX-512 \(wide)")
                }
            }
            XCTAssertFalse(out.contains { $0.isNaN }, "AVX-512 \(wide)")
            outputs.append(out)
        }
        if outputs.count == 2 {
            XCTAssertEqual(outputs[0].map(\.bitPattern), outputs[1].map(\.bitPattern), "AVX2 vs AVX-512 bits")
        }
    }

    func check(rows: Int, keys: Int, dim d: Int) {
        func values(_ n: Int, _ seed: Int) -> [Float] { (0..<n).map { Float(sin(Double($0 * 13 + seed) * 0.71)) * 2 } }
        let q = values(rows * d, 1), k = values(keys * d, 2), v = values(keys * d, 3)
        var kT = [Float](repeating: 0, count: FlashAttention.packedKeysCount(keys: keys, dim: d))
        FlashAttention.packKeys(k, stride: d, keys: keys, dim: d, into: &kT)
        let scratch = FlashAttention.Scratch(dim: d)
        // Row i sees keys 0 ..< keys - 3i (a causal-like cut), so rows differ in how many blocks they run.
        let masks = (0..<rows).map { FlashAttention.RowMask(limit: keys - 3 * $0, bias: nil) }
        var together = [Float](repeating: .nan, count: rows * d)
        FlashAttention.run(q: q, qStride: d, rows: rows, kT: kT, v: v, vStride: d, keys: keys, dim: d, scale: 0.3,
                           masks: masks, out: &together, outStride: d, scratch: scratch)
        var maxDiff: Float = 0
        for i in 0..<rows {
            var alone = [Float](repeating: .nan, count: d)
            q.withUnsafeBufferPointer { qp in
                FlashAttention.run(q: qp.baseAddress! + i * d, qStride: d, rows: 1, kT: kT, v: v, vStride: d, keys: keys,
                                   dim: d, scale: 0.3, masks: [masks[i]], out: &alone, outStride: d, scratch: scratch)
            }
            XCTAssertEqual(alone.map(\.bitPattern), Array(together[(i * d)..<((i + 1) * d)]).map(\.bitPattern),
                           "row \(i) alone vs in a tile of \(rows), D \(d), AVX-512 \(CPU.useAVX512)")
            // Scalar reference for the same row.
            let limit = masks[i].limit
            let s = (0..<limit).map { j in (0..<d).reduce(Float(0)) { $0 + q[i * d + $1] * k[j * d + $1] } * 0.3 }
            let m = s.max()!
            let e = s.map { Foundation.exp($0 - m) }, sum = e.reduce(0, +)
            for x in 0..<d {
                let ref = (0..<limit).reduce(Float(0)) { $0 + e[$1] * v[$1 * d + x] } / sum
                maxDiff = max(maxDiff, abs(ref - together[i * d + x]))
            }
        }
        print("FlashAttention rows \(rows) D \(d) AVX-512 \(CPU.useAVX512): max abs diff vs scalar \(maxDiff)")
        XCTAssertLessThan(maxDiff, 2e-5)
    }
}
