import Tensors
import XCTest

/// Batch invariance of the GEMM paths: a row of C has the same bits whether it was computed alone (the
/// few-row path, batch-1 `linear`), among a few rows (AVX2 tiles) or many (AVX-512 tiles, edge tiles,
/// several threads), for depths spanning several K blocks.
final class GemmBatchInvarianceTests: XCTestCase {
    func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(sin(Double($0 * 7 + seed) * 0.37)) * 1.3 }
    }

    func testRowsOfGemmDoNotDependOnTheRowCount() {
        let k = 300, n = 70, big = 37
        let a = values(big * k, seed: 1), b = values(k * n, seed: 2)
        for transposeB in [false, true] {
            var whole = [Float](repeating: 0, count: big * n)
            gemm(transposeA: false, transposeB: transposeB, m: big, n: n, k: k, alpha: 0.5, a: a, lda: k, b: b,
                 ldb: transposeB ? k : n, c: &whole, ldc: n)
            for (first, count) in [(0, 1), (5, 2), (30, 4), (8, 7), (16, 21)] {
                var part = [Float](repeating: 0, count: count * n)
                a.withUnsafeBufferPointer { ap in
                    gemm(transposeA: false, transposeB: transposeB, m: count, n: n, k: k, alpha: 0.5,
                         a: ap.baseAddress! + first * k, lda: k, b: b, ldb: transposeB ? k : n, c: &part, ldc: n)
                }
                XCTAssertEqual(part.map(\.bitPattern), whole[(first * n)..<((first + count) * n)].map(\.bitPattern),
                               "rows \(first)..<\(first + count), transposeB \(transposeB)")
            }
        }
    }

    func testRowsOfLinearDoNotDependOnTheRowCount() {
        let k = 300, n = 70, big = 29
        let x = values(big * k, seed: 3), w = values(n * k, seed: 4), bias = values(n, seed: 5)
        for storage in [PackedWeights.Storage.f32, .bf16] {
            let packed = w.withUnsafeBufferPointer { PackedWeights($0.baseAddress!, outFeatures: n, inFeatures: k, storage: storage) }
            var whole = [Float](repeating: 0, count: big * n)
            linear(x, rows: big, weights: packed, bias: bias, out: &whole)
            for (first, count) in [(0, 1), (11, 1), (3, 3), (20, 9)] {
                var part = [Float](repeating: 0, count: count * n)
                x.withUnsafeBufferPointer { xp in
                    linear(xp.baseAddress! + first * k, rows: count, weights: packed, bias: bias, out: &part)
                }
                XCTAssertEqual(part.map(\.bitPattern), whole[(first * n)..<((first + count) * n)].map(\.bitPattern),
                               "rows \(first)..<\(first + count), \(storage)")
            }
        }
    }
}
