/// GEMM with very few rows of C (decoding, pooled vectors): packing B would cost more than the
/// product itself, so each row of C is computed straight from B's memory layout.
///
/// 64 columns of C at a time, each lane summing its column in exactly the packed kernels' order
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
    let groups = (n + 63) / 64
    Parallel.forEach(range: groups, costPerItem: work / Double(groups)) { range in
        let panel = UnsafeMutablePointer<Float>.allocate(capacity: blockK * 64)   // [kc, 64] of op(B)
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: m * 64)         // [m, 64] running C
        defer { panel.deallocate(); rows.deallocate() }
        for g in range {
            let j0 = g * 64, width = min(64, n - j0)
            var k0 = 0
            while k0 < k {
                let kc = min(blockK, k - k0)
                if transposeB {
                    for l in 0..<64 {
                        if l < width {
                            let w = b + (j0 + l) * ldb + k0
                            for p in 0..<kc { panel[p * 64 + l] = w[p] }
                        } else {
                            for p in 0..<kc { panel[p * 64 + l] = 0 }
                        }
                    }
                } else if width < 64 {
                    for p in 0..<kc {
                        let src = b + (k0 + p) * ldb + j0
                        for l in 0..<64 { panel[p * 64 + l] = l < width ? src[l] : 0 }
                    }
                }
                for i in 0..<m {
                    // Eight independent accumulator chains, each column summed sequentially over k.
                    let x = aRows + i * k + k0
                    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                    var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
                    // Row-major op(B) with a full group is read in place (rows ldb apart), else the panel.
                    let inPlace = !transposeB && width == 64
                    var r = inPlace ? UnsafeRawPointer(b + k0 * ldb + j0) : UnsafeRawPointer(panel)
                    let step = inPlace ? ldb * 4 : 256
                    for p in 0..<kc {
                        let xs = SIMD8<Float>(repeating: x[p])
                        a0.addProduct(xs, r.loadUnaligned(as: SIMD8<Float>.self))
                        a1.addProduct(xs, r.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                        a2.addProduct(xs, r.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
                        a3.addProduct(xs, r.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
                        a4.addProduct(xs, r.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self))
                        a5.addProduct(xs, r.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self))
                        a6.addProduct(xs, r.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self))
                        a7.addProduct(xs, r.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self))
                        r += step
                    }
                    // The tile path's store: α·acc (+ β·C) on the first block, α·acc + C on later ones.
                    let row = rows + i * 64
                    @inline(__always) func fold(_ acc: SIMD8<Float>, _ q: Int) {
                        let dst = UnsafeMutableRawPointer(row + q * 8)
                        var v = acc * alpha
                        if k0 > 0 {
                            v = v + dst.loadUnaligned(as: SIMD8<Float>.self)
                        } else if beta != 0 {
                            var old = SIMD8<Float>()
                            for l in 0..<8 where q * 8 + l < width { old[l] = c[i * ldc + j0 + q * 8 + l] }
                            v.addProduct(SIMD8<Float>(repeating: beta), old)
                        }
                        dst.storeBytes(of: v, as: SIMD8<Float>.self)
                    }
                    fold(a0, 0); fold(a1, 1); fold(a2, 2); fold(a3, 3)
                    fold(a4, 4); fold(a5, 5); fold(a6, 6); fold(a7, 7)
                }
                k0 += kc
            }
            for i in 0..<m { (c + i * ldc + j0).update(from: rows + i * 64, count: width) }
        }
    }
}
