/// GEMM with very few rows of C (decoding, pooled vectors): packing B would cost more than the
/// product itself, so each row of C is computed straight from B's memory layout.
///
/// Eight columns of C at a time, each lane summing its column in exactly the packed kernels' order
/// (batch invariance: sequential FMAs within K blocks of `blockK`, blocks folded into C as `storeTile`
/// does), so a row of C has the same bits whether its GEMM had few rows (decoding, a 2-residue
/// sequence alone) or many (the same sequence padded into a batch).
func gemmFewRows(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
                 c: UnsafeMutablePointer<Float>, ldc: Int, threaded: Bool = true) {
    // A row i, contiguous (copied when A is transposed).
    let aRows = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
    defer { aRows.deallocate() }
    for i in 0..<m {
        for p in 0..<k { aRows[i * k + p] = transposeA ? a[p * lda + i] : a[i * lda + p] }
    }
    // Estimated ns; a caller already running on a worker (batched GEMM) passes threaded: false.
    let work = threaded ? Double(m) * Double(n) * Double(k) * 0.5 + Double(n * k) * 0.1 : 0
    let groups = (n + 7) / 8
    Parallel.forEach(range: groups, costPerItem: work / Double(groups)) { range in
        for g in range {
            let j0 = g * 8, width = min(8, n - j0)
            for i in 0..<m {
                // Eight columns of C row i, lane l = column j0 + l.
                let x = aRows + i * k
                var r = SIMD8<Float>()
                var k0 = 0
                while k0 < k {
                    let kc = min(blockK, k - k0)
                    var acc = SIMD8<Float>()
                    if transposeB {
                        if width == 8 {
                            let w = b + j0 * ldb
                            for p in k0..<(k0 + kc) {
                                let v = SIMD8<Float>(w[p], w[ldb + p], w[2 * ldb + p], w[3 * ldb + p], w[4 * ldb + p],
                                                     w[5 * ldb + p], w[6 * ldb + p], w[7 * ldb + p])
                                acc.addProduct(SIMD8<Float>(repeating: x[p]), v)
                            }
                        } else {
                            for p in k0..<(k0 + kc) {
                                var v = SIMD8<Float>()
                                for l in 0..<width { v[l] = b[(j0 + l) * ldb + p] }
                                acc.addProduct(SIMD8<Float>(repeating: x[p]), v)
                            }
                        }
                    } else if width == 8 {
                        for p in k0..<(k0 + kc) {
                            acc.addProduct(SIMD8<Float>(repeating: x[p]),
                                           UnsafeRawPointer(b + p * ldb + j0).loadUnaligned(as: SIMD8<Float>.self))
                        }
                    } else {
                        for p in k0..<(k0 + kc) {
                            var v = SIMD8<Float>()
                            for l in 0..<width { v[l] = b[p * ldb + j0 + l] }
                            acc.addProduct(SIMD8<Float>(repeating: x[p]), v)
                        }
                    }
                    // The tile path's store: α·acc (+ β·C) on the first block, α·acc + C on later ones.
                    if k0 == 0 {
                        r = acc * alpha
                        if beta != 0 {
                            var old = SIMD8<Float>()
                            for l in 0..<width { old[l] = c[i * ldc + j0 + l] }
                            r.addProduct(SIMD8<Float>(repeating: beta), old)
                        }
                    } else {
                        r = acc * alpha + r
                    }
                    k0 += kc
                }
                for l in 0..<width { c[i * ldc + j0 + l] = r[l] }
            }
        }
    }
}
