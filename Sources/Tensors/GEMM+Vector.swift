/// GEMM with very few rows of C (decoding, pooled vectors): packing B would cost more than the
/// product itself, so each row of C is computed straight from B's memory layout.
///
/// op(B) stored as W `[N, K]` (transposed): C[i, j] = α·dot(A row i, W row j) + β·C[i, j], dots 8 lanes wide.
/// op(B) stored as `[K, N]`: C row i = α·Σ_k A[i, k]·B row k + β·C row i, accumulated in a scratch row.
func gemmFewRows(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
                 c: UnsafeMutablePointer<Float>, ldc: Int, threaded: Bool = true) {
    // A row i, contiguous (copied when A is transposed).
    let aRows = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
    defer { aRows.deallocate() }
    for i in 0..<m {
        for p in 0..<k { aRows[i * k + p] = transposeA ? a[p * lda + i] : a[i * lda + p] }
    }
    @inline(__always) func finish(_ v: Float, _ dst: UnsafeMutablePointer<Float>) {
        dst.pointee = beta == 0 ? alpha * v : alpha * v + beta * dst.pointee
    }
    // Estimated ns; a caller already running on a worker (batched GEMM) passes threaded: false.
    let work = threaded ? Double(m) * Double(n) * Double(k) * 0.5 + Double(n * k) * 0.1 : 0
    if transposeB {
        Parallel.forEach(range: n, costPerItem: work / Double(n)) { cols in
            for j in cols {
                let w = b + j * ldb
                for i in 0..<m { finish(dot(aRows + i * k, w, k), c + i * ldc + j) }
            }
        }
    } else {
        Parallel.forEach(range: (n + 63) / 64, costPerItem: work / Double((n + 63) / 64)) { blocks in
            let j0 = blocks.lowerBound * 64, j1 = min(n, blocks.upperBound * 64)
            let width = j1 - j0
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: width)
            defer { acc.deallocate() }
            for i in 0..<m {
                var j = 0
                // 32 columns at a time in registers (8 accumulators over two k steps), then the rest by axpy.
                while j + 32 <= width {
                    rowTimesColumns32(aRows + i * k, k: k, b: b + j0 + j, ldb: ldb, into: acc + j)
                    j += 32
                }
                if j < width {
                    (acc + j).initialize(repeating: 0, count: width - j)
                    for p in 0..<k { axpy(aRows[i * k + p], b + p * ldb + j0 + j, acc + j, width - j) }
                }
                for j in 0..<width { finish(acc[j], c + i * ldc + j0 + j) }
            }
        }
    }
}

/// out[0..<32] = Σ_p x[p] · b[p, 0..<32] (rows of b `ldb` apart), accumulated in registers.
@inline(__always)
func rowTimesColumns32(_ x: UnsafePointer<Float>, k: Int, b: UnsafePointer<Float>, ldb: Int,
                       into out: UnsafeMutablePointer<Float>) {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>()
    var p = 0
    while p + 2 <= k {
        let r0 = UnsafeRawPointer(b + p * ldb), r1 = UnsafeRawPointer(b + (p + 1) * ldb)
        let x0 = SIMD8<Float>(repeating: x[p]), x1 = SIMD8<Float>(repeating: x[p + 1])
        a0.addProduct(x0, r0.loadUnaligned(as: SIMD8<Float>.self))
        a1.addProduct(x0, r0.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        a2.addProduct(x0, r0.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
        a3.addProduct(x0, r0.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
        b0.addProduct(x1, r1.loadUnaligned(as: SIMD8<Float>.self))
        b1.addProduct(x1, r1.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        b2.addProduct(x1, r1.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
        b3.addProduct(x1, r1.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
        p += 2
    }
    if p < k {
        let r0 = UnsafeRawPointer(b + p * ldb)
        let x0 = SIMD8<Float>(repeating: x[p])
        a0.addProduct(x0, r0.loadUnaligned(as: SIMD8<Float>.self))
        a1.addProduct(x0, r0.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        a2.addProduct(x0, r0.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
        a3.addProduct(x0, r0.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
    }
    let o = UnsafeMutableRawPointer(out)
    o.storeBytes(of: a0 + b0, as: SIMD8<Float>.self)
    o.storeBytes(of: a1 + b1, toByteOffset: 32, as: SIMD8<Float>.self)
    o.storeBytes(of: a2 + b2, toByteOffset: 64, as: SIMD8<Float>.self)
    o.storeBytes(of: a3 + b3, toByteOffset: 96, as: SIMD8<Float>.self)
}

/// Σ x[i]·y[i] with four 8-lane accumulators.
@inline(__always)
func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
    let xr = UnsafeRawPointer(x), yr = UnsafeRawPointer(y)
    var i = 0
    while i + 32 <= n {
        let o = i * 4
        s0.addProduct(xr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self),
                      yr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
        s1.addProduct(xr.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self),
                      yr.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self))
        s2.addProduct(xr.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self),
                      yr.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self))
        s3.addProduct(xr.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self),
                      yr.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self))
        i += 32
    }
    while i + 8 <= n {
        s0.addProduct(xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
                      yr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
        i += 8
    }
    var s = hsum((s0 + s1) + (s2 + s3))
    while i < n { s += x[i] * y[i]; i += 1 }
    return s
}

/// y[i] += α·x[i].
@inline(__always)
func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let av = SIMD8<Float>(repeating: alpha)
    var i = 0
    while i + 8 <= n {
        let yr = UnsafeMutableRawPointer(y + i)
        var v = yr.loadUnaligned(as: SIMD8<Float>.self)
        v.addProduct(av, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
        yr.storeBytes(of: v, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { y[i] += alpha * x[i]; i += 1 }
}
