import XCTest
import Tensors

/// GEMM, batched GEMM and `linear` against their naive references. Error is measured relative to
/// Σ|a||b| of each output (the scale of a dot product's rounding error); the bound is 1e-5.
final class GEMMTests: XCTestCase {
    static let sizes = [1, 7, 33, 65, 257]

    /// max over outputs of |c − ref| / (Σ_k |a_ik||b_kj| + tiny), given |A|·|B| computed by the reference.
    func relativeError(_ c: [Float], _ ref: [Float], _ scale: [Float]) -> Float {
        var worst: Float = 0
        for i in c.indices { worst = max(worst, abs(c[i] - ref[i]) / (scale[i] + 1e-30)) }
        return worst
    }

    func check(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0,
               lda extraA: Int = 0, seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRandom(seed: seed &+ UInt64(m * 1_000_003 + n * 1009 + k))
        let (ar, ac) = transA ? (k, m) : (m, k)
        let (br, bc) = transB ? (n, k) : (k, n)
        let lda = ac + extraA, ldb = bc, ldc = n + 3
        let a = rng.floats(ar * lda), b = rng.floats(br * ldb)
        let c0 = rng.floats(m * ldc)
        var c = c0, ref = c0
        var scale = [Float](repeating: 0, count: m * ldc)
        let absA = a.map(abs), absB = b.map(abs)
        gemm(transposeA: transA, transposeB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
             beta: beta, c: &c, ldc: ldc)
        gemmNaive(transposeA: transA, transposeB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                  ldb: ldb, beta: beta, c: &ref, ldc: ldc)
        gemmNaive(transposeA: transA, transposeB: transB, m: m, n: n, k: k, alpha: abs(alpha), a: absA, lda: lda,
                  b: absB, ldb: ldb, beta: 0, c: &scale, ldc: ldc)
        for i in 0..<m { for j in 0..<n { scale[i * ldc + j] += abs(beta * c0[i * ldc + j]) } }
        // Padding columns of C (j ≥ n) must be untouched.
        for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j], file: file, line: line) } }
        let err = relativeError(c, ref, scale)
        XCTAssertLessThanOrEqual(err, 1e-5, "m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB)", file: file, line: line)
    }

    func testOddShapesAllTransposes() {
        onEveryKernel {
            var worst = 0
            for m in Self.sizes { for n in Self.sizes { for k in Self.sizes where m * n * k <= 257 * 257 * 65 {
                for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                    check(transA: ta, transB: tb, m: m, n: n, k: k)
                    worst += 1
                }
            } } }
            XCTAssertGreaterThan(worst, 100)
        }
    }

    func testThousands() {
        onEveryKernel {
            check(transA: false, transB: true, m: 1000, n: 65, k: 1000)
            check(transA: false, transB: false, m: 33, n: 1000, k: 257)
            check(transA: true, transB: true, m: 7, n: 257, k: 1000)
            check(transA: false, transB: true, m: 257, n: 1000, k: 33)
        }
    }

    func testAlphaBetaAndLeadingDimension() {
        onEveryKernel {
            check(transA: false, transB: false, m: 65, n: 33, k: 257, alpha: 0.5, beta: 2, lda: 5)
            check(transA: true, transB: true, m: 33, n: 65, k: 7, alpha: -1.5, beta: 1, lda: 3)
            check(transA: false, transB: true, m: 1, n: 257, k: 65, alpha: 1, beta: -0.25)
            check(transA: false, transB: true, m: 65, n: 96, k: 300, alpha: 1, beta: 1)
        }
    }

    /// Row counts at the switches between the unpacked few-row path, the AVX2 and the AVX-512 kernels.
    func testSmallRowCounts() {
        onEveryKernel {
            for m in 2...9 {
                for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                    check(transA: ta, transB: tb, m: m, n: 65, k: 33, alpha: 0.75, beta: 0.5)
                }
            }
        }
    }

    func testBetaZeroIgnoresNaNInC() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [1, 0, 0, 1]
        var c = [Float](repeating: .nan, count: 4)
        gemm(transposeA: false, transposeB: false, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [1, 2, 3, 4])
    }

    func testBatchedMatchesNaive() {
        onEveryKernel {
            // Attention shapes: Q·Kᵀ ([T, D]·[S, D]ᵀ) and P·V ([T, S]·[S, D]) over several heads.
            var rng = TestRandom(seed: 7)
            for (t, s, d, heads) in [(33, 33, 16, 12), (7, 65, 64, 3), (65, 1, 33, 5), (1, 257, 64, 4)] {
                let q = rng.floats(heads * t * d), kk = rng.floats(heads * s * d), v = rng.floats(heads * s * d)
                var scores = [Float](repeating: 0, count: heads * t * s), scoresRef = scores
                gemmBatched(transposeA: false, transposeB: true, m: t, n: s, k: d, alpha: 0.125, a: q, lda: d,
                            strideA: t * d, b: kk, ldb: d, strideB: s * d, c: &scores, ldc: s, strideC: t * s,
                            batchCount: heads)
                gemmBatchedNaive(transposeA: false, transposeB: true, m: t, n: s, k: d, alpha: 0.125, a: q, lda: d,
                                 strideA: t * d, b: kk, ldb: d, strideB: s * d, c: &scoresRef, ldc: s, strideC: t * s,
                                 batchCount: heads)
                XCTAssertLessThanOrEqual(maxRelative(scores, scoresRef, floor: Float(d) * 0.125), 1e-5)
                var ctx = [Float](repeating: 0, count: heads * t * d), ctxRef = ctx
                gemmBatched(transposeA: false, transposeB: false, m: t, n: d, k: s, a: scores, lda: s, strideA: t * s,
                            b: v, ldb: d, strideB: s * d, c: &ctx, ldc: d, strideC: t * d, batchCount: heads)
                gemmBatchedNaive(transposeA: false, transposeB: false, m: t, n: d, k: s, a: scores, lda: s,
                                 strideA: t * s, b: v, ldb: d, strideB: s * d, c: &ctxRef, ldc: d, strideC: t * d,
                                 batchCount: heads)
                XCTAssertLessThanOrEqual(maxRelative(ctx, ctxRef, floor: Float(s) * Float(d) * 0.125), 1e-5)
            }
        }
    }

    /// max |a − b| / floor, where floor bounds Σ|a||b| for uniform [-1, 1) inputs.
    func maxRelative(_ a: [Float], _ b: [Float], floor: Float) -> Float {
        zip(a, b).map { abs($0 - $1) / floor }.max() ?? 0
    }

    func testLinearF32AndBF16MatchNaive() {
        onEveryKernel {
            var rng = TestRandom(seed: 11)
            for (m, n, k) in [(1, 7, 33), (1, 1000, 65), (7, 33, 257), (65, 257, 1), (257, 65, 33), (1000, 33, 65),
                              (2, 16, 16), (2, 100, 700), (6, 48, 300),
                              // Panels over 2 MB (huge-page memory, with a tail past the last whole page).
                              (1, 600, 1000), (2, 1100, 1000)] {
                let x = rng.floats(m * k), w = rng.floats(n * k), bias = rng.floats(n)
                for storage in [PackedWeights.Storage.f32, .bf16] {
                    let packed = PackedWeights(w, outFeatures: n, inFeatures: k, storage: storage)
                    let wSeen = packed.unpacked().data
                    if storage == .f32 { XCTAssertEqual(wSeen, w) }
                    var out = [Float](repeating: .nan, count: m * n), ref = out, scale = out
                    linear(x, rows: m, weights: packed, bias: bias, out: &out)
                    linearNaive(x, rows: m, weights: wSeen, outFeatures: n, inFeatures: k, bias: bias, out: &ref)
                    linearNaive(x.map(abs), rows: m, weights: wSeen.map(abs), outFeatures: n, inFeatures: k,
                                bias: bias.map(abs), out: &scale)
                    let err = zip(zip(out, ref), scale).map { abs($0.0 - $0.1) / ($1 + 1e-30) }.max() ?? 0
                    XCTAssertLessThanOrEqual(err, 1e-5, "m=\(m) n=\(n) k=\(k) \(storage)")
                }
            }
        }
    }

    func testLinearNoBiasAndBF16BitsInit() {
        onEveryKernel {
            let n = 20, k = 5
            var rng = TestRandom(seed: 3)
            let w = rng.floats(n * k)
            let bits = w.map { BFloat16.bits(from: $0) }
            let packed = PackedWeights(bf16Bits: bits, outFeatures: n, inFeatures: k)
            XCTAssertEqual(packed.storage, .bf16)
            XCTAssertEqual(packed.unpacked().data, bits.map { BFloat16.float(fromBits: $0) })
            let x = rng.floats(3 * k)
            var out = [Float](repeating: 0, count: 3 * n), ref = out
            linear(x, rows: 3, weights: packed, bias: nil, out: &out)
            linearNaive(x, rows: 3, weights: packed.unpacked().data, outFeatures: n, inFeatures: k, bias: nil, out: &ref)
            XCTAssertLessThanOrEqual(zip(out, ref).map { abs($0 - $1) }.max()!, 1e-5)
        }
    }

    func testThreadCountsAgree() {
        onEveryKernel {
            // Every element is computed by exactly one thread with the same blocking: bit-identical.
            assertSameBitsAtThreadCounts(m: 130, n: 200, k: 300, seed: 5)
        }
    }
}

extension XCTestCase {
    /// C = A·Bᵀ at 1, 2 and 3 threads gives the same bits.
    func assertSameBitsAtThreadCounts(m: Int, n: Int, k: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRandom(seed: seed)
        let a = rng.floats(m * k), b = rng.floats(n * k)
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        var results: [[UInt32]] = []
        for t in [1, 2, 3] {
            Parallel.threadCount = t
            var c = [Float](repeating: 0, count: m * n)
            gemm(transposeA: false, transposeB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &c, ldc: n)
            results.append(c.map(\.bitPattern))
        }
        XCTAssertEqual(results[0], results[1], "1 vs 2 threads", file: file, line: line)
        XCTAssertEqual(results[0], results[2], "1 vs 3 threads", file: file, line: line)
    }
}


extension XCTestCase {
    /// Runs `body` on the AVX2 kernels and, where the CPU has it, on the AVX-512 kernel, with BF16 weights
    /// widened to F32 (the AVX512_BF16 kernel rounds activations too: `BF16ComputeTests` covers it).
    func onEveryKernel(_ body: () -> Void) {
        let saved = CPU.useAVX512, savedBF16 = CPU.useAVX512BF16
        defer { CPU.useAVX512 = saved; CPU.useAVX512BF16 = savedBF16 }
        CPU.useAVX512BF16 = false
        for wide in CPU.hasAVX512 ? [false, true] : [false] {
            CPU.useAVX512 = wide
            body()
        }
    }
}
