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
        onEveryKernel { rowsOfGemm() }
    }

    func rowsOfGemm() {
        let k = 300, n = 70, big = 37
        let a = values(big * k, seed: 1), b = values(k * n, seed: 2)
        for transposeB in [false, true] {
            var whole = [Float](repeating: 0, count: big * n)
            gemm(transposeA: false, transposeB: transposeB, m: big, n: n, k: k, alpha: 0.5, a: a, lda: k, b: b,
                 ldb: transposeB ? k : n, c: &whole, ldc: n)
            assertRowSlices(of: whole, n: n, [(0, 1), (5, 2), (30, 4), (8, 7), (16, 21)], "transposeB \(transposeB)") {
                first, count, part in
                a.withUnsafeBufferPointer { ap in
                    gemm(transposeA: false, transposeB: transposeB, m: count, n: n, k: k, alpha: 0.5,
                         a: ap.baseAddress! + first * k, lda: k, b: b, ldb: transposeB ? k : n, c: &part, ldc: n)
                }
            }
        }
    }

    /// The same with A transposed (`// [k, big]`, rows of op(A) are columns): slices of 5…8 rows take the
    /// one-tile path that packs A once for all of K.
    func testRowsOfGemmWithTransposedADoNotDependOnTheRowCount() {
        onEveryKernel {
            let k = 300, n = 110, big = 37
            let aT = values(k * big, seed: 6), b = values(k * n, seed: 7)
            var whole = [Float](repeating: 0, count: big * n)
            gemm(transposeA: true, transposeB: false, m: big, n: n, k: k, alpha: 1, a: aT, lda: big, b: b, ldb: n,
                 c: &whole, ldc: n)
            assertRowSlices(of: whole, n: n, [(0, 1), (5, 5), (30, 7), (8, 8), (16, 21)], "transposed A") {
                first, count, part in
                aT.withUnsafeBufferPointer { ap in
                    gemm(transposeA: true, transposeB: false, m: count, n: n, k: k, alpha: 1, a: ap.baseAddress! + first,
                         lda: big, b: b, ldb: n, c: &part, ldc: n)
                }
            }
        }
    }

    func testRowsOfLinearDoNotDependOnTheRowCount() {
        onEveryKernel { rowsOfLinear() }
    }

    func rowsOfLinear() {
        let k = 300, n = 70, big = 29
        let x = values(big * k, seed: 3), w = values(n * k, seed: 4), bias = values(n, seed: 5)
        for storage in [PackedWeights.Storage.f32, .bf16] {
            let packed = w.withUnsafeBufferPointer { PackedWeights($0.baseAddress!, outFeatures: n, inFeatures: k, storage: storage) }
            var whole = [Float](repeating: 0, count: big * n)
            linear(x, rows: big, weights: packed, bias: bias, out: &whole)
            assertRowSlices(of: whole, n: n, [(0, 1), (11, 1), (7, 2), (26, 2), (3, 3), (14, 4), (25, 4), (4, 5), (0, 6), (18, 7), (21, 8), (20, 9)], "\(storage)") { first, count, part in
                x.withUnsafeBufferPointer { xp in
                    linear(xp.baseAddress! + first * k, rows: count, weights: packed, bias: bias, out: &part)
                }
            }
        }
    }

    /// The unpacked few-row path (M ≤ 4) against the packed tile path: for every transpose combination
    /// and depths spanning several K blocks, each row of a few-row GEMM has the bits of the same row
    /// computed alone (M = 1) and inside an M = 64 GEMM, with α ≠ 1 and β ∈ {0, 0.5}; and it is within
    /// 1e-5 of the naive product, relative to Σ|a||b| + |β·c|.
    func testFewRowsMatchLargeGemmAndSingleRows() {
        onEveryKernel {
            var rng = TestRandom(seed: 17)
            var cases = 0
            for k in [1, 7, 33, 257, 769] {
                for n in [1, 5, 48, 97, 300] {
                    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                        let beta: Float = cases % 2 == 0 ? 0 : 0.5
                        for m in 1...4 {
                            checkFewRows(m: m, n: n, k: k, transposeA: ta, transposeB: tb, beta: beta, rng: &rng)
                            cases += 1
                        }
                    }
                }
            }
            XCTAssertEqual(cases, 400)
        }
    }

    func checkFewRows(m: Int, n: Int, k: Int, transposeA ta: Bool, transposeB tb: Bool, beta: Float,
                      rng: inout TestRandom, file: StaticString = #filePath, line: UInt = #line) {
        let big = 64, first = 13, alpha: Float = 0.75
        // op(A) is [64, k]: a[i·lda + p], or a[p·lda + i] when transposed; rows first..<first+m are the few.
        let lda = ta ? big + 3 : k + 2, ldb = tb ? k + 1 : n + 2, ldc = n + 3
        let a = rng.floats((ta ? k : big) * lda), b = rng.floats((tb ? n : k) * ldb)
        let c0 = rng.floats(big * ldc)
        var whole = c0
        gemm(transposeA: ta, transposeB: tb, m: big, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
             beta: beta, c: &whole, ldc: ldc)
        let context = "m=\(m) n=\(n) k=\(k) tA=\(ta) tB=\(tb) β=\(beta) avx512=\(CPU.useAVX512)"
        a.withUnsafeBufferPointer { ap in
            // A's rows first..<first+rows, as gemm sees them.
            func rowsOfA(_ row: Int) -> UnsafePointer<Float> { ap.baseAddress! + (ta ? row : row * lda) }
            var few = Array(c0[(first * ldc)..<((first + m) * ldc)])
            gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: rowsOfA(first), lda: lda, b: b,
                 ldb: ldb, beta: beta, c: &few, ldc: ldc)
            var ref = Array(c0[(first * ldc)..<((first + m) * ldc)]), scale = [Float](repeating: 0, count: m * ldc)
            gemmNaive(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: rowsOfA(first), lda: lda,
                      b: b, ldb: ldb, beta: beta, c: &ref, ldc: ldc)
            let absA = a.map(abs), absB = b.map(abs)
            absA.withUnsafeBufferPointer { abp in
                gemmNaive(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha,
                          a: abp.baseAddress! + (ta ? first : first * lda), lda: lda, b: absB, ldb: ldb, beta: 0,
                          c: &scale, ldc: ldc)
            }
            var worst: Float = 0
            for i in 0..<m {
                let row = (first + i) * ldc
                var single = Array(c0[row..<(row + ldc)])
                gemm(transposeA: ta, transposeB: tb, m: 1, n: n, k: k, alpha: alpha, a: rowsOfA(first + i), lda: lda,
                     b: b, ldb: ldb, beta: beta, c: &single, ldc: ldc)
                let fewRow = few[(i * ldc)..<((i + 1) * ldc)].map(\.bitPattern)
                XCTAssertEqual(fewRow, whole[row..<(row + ldc)].map(\.bitPattern), "row \(i) vs M=64, \(context)",
                               file: file, line: line)
                XCTAssertEqual(fewRow, single.map(\.bitPattern), "row \(i) vs M=1, \(context)", file: file, line: line)
                for j in 0..<n {
                    let bound = scale[i * ldc + j] + abs(beta * c0[row + j]) + 1e-30
                    worst = max(worst, abs(few[i * ldc + j] - ref[i * ldc + j]) / bound)
                }
            }
            XCTAssertLessThanOrEqual(worst, 1e-5, context, file: file, line: line)
        }
    }

    /// Threads split the few-row path by columns: the result is the same bits at any thread count.
    func testFewRowsThreadCountsAgree() {
        assertSameBitsAtThreadCounts(m: 4, n: 1000, k: 769, seed: 23)
    }

    /// Every transposed-B path (few rows, many rows, edge tiles, transposed A, several threads, AVX2 and
    /// AVX-512) has exactly the bits of `gemmDotNaive`, the scalar statement of the dot order, for depths
    /// spanning several K blocks with a partial last chunk, widths beyond one column block and enough rows
    /// for the AVX2 kernel to pack B (three row blocks per thread's tile); and it is
    /// near the Double product.
    func testTransposedBHasTheDotOrderBits() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        onEveryKernel {
            var rng = TestRandom(seed: 29)
            var worst: Float = 0, cases = 0
            // B's rows k + 1 floats apart (unaligned), or 1024 (4 KB: one L1 set, a narrower few-row sweep).
            for (m, n, k, rowsOfB) in [(1, 13, 7, 0), (1, 70, 300, 0), (2, 5, 769, 0), (3, 48, 257, 0), (4, 101, 33, 0),
                                       (5, 9, 1, 0), (37, 70, 300, 0), (64, 300, 517, 0), (200, 53, 64, 0),
                                       (40, 30, 1601, 0), (1, 29, 1000, 1024), (9, 26, 1000, 1024),
                                       (20, 790, 12, 0), (800, 21, 1601, 0)] {
                for transposeA in [false, true] {
                    let beta: Float = cases % 2 == 0 ? 0 : 0.5
                    Parallel.threadCount = cases % 3 == 0 ? 1 : 2
                    let lda = transposeA ? m + 3 : k + 2, ldb = rowsOfB > 0 ? rowsOfB : k + 1, ldc = n + 3
                    let a = rng.floats((transposeA ? k : m) * lda), b = rng.floats(n * ldb), c0 = rng.floats(m * ldc)
                    var fast = c0, reference = c0, exact = c0
                    gemm(transposeA: transposeA, transposeB: true, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda,
                         b: b, ldb: ldb, beta: beta, c: &fast, ldc: ldc)
                    gemmDotNaive(transposeA: transposeA, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b, ldb: ldb,
                                 beta: beta, c: &reference, ldc: ldc)
                    gemmNaive(transposeA: transposeA, transposeB: true, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda,
                              b: b, ldb: ldb, beta: beta, c: &exact, ldc: ldc)
                    let differing = zip(fast, reference).filter { $0.bitPattern != $1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "m=\(m) n=\(n) k=\(k) tA=\(transposeA) β=\(beta) avx512=\(CPU.useAVX512)")
                    for (x, y) in zip(fast, exact) { worst = max(worst, abs(x - y) / (1 + abs(y))) }
                    cases += 1
                }
            }
            print("transposed-B gemm vs Double product: max rel diff \(worst) over \(cases) cases, avx512=\(CPU.useAVX512)")
            XCTAssertLessThan(worst, 1e-4)
        }
    }
}
