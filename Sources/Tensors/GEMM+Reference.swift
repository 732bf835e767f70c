/// Reference for `gemm`: the textbook triple loop, accumulating in Double. Same contract as `gemm`.
public func gemmNaive(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
                      c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                sum += Double(av) * Double(bv)
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
            c[i * ldc + j] = Float(Double(alpha) * sum + old)
        }
    }
}

/// Reference for `gemmBatched`: `gemmNaive` per matrix.
public func gemmBatchedNaive(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, strideA: Int,
                             b: UnsafePointer<Float>, ldb: Int, strideB: Int, beta: Float = 0,
                             c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int, batchCount: Int) {
    for i in 0..<batchCount {
        gemmNaive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                  a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb, beta: beta,
                  c: c + i * strideC, ldc: ldc)
    }
}

/// Reference for `linear`: out `[m, N]` = x `[m, K]` · Wᵀ + bias with W `[N, K]` unpacked, in Double.
public func linearNaive(_ x: UnsafePointer<Float>, rows m: Int, weights w: UnsafePointer<Float>,
                        outFeatures n: Int, inFeatures k: Int, bias: UnsafePointer<Float>?,
                        out: UnsafeMutablePointer<Float>) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = Double(bias?[j] ?? 0)
            for p in 0..<k { sum += Double(x[i * k + p]) * Double(w[j * k + p]) }
            out[i * n + j] = Float(sum)
        }
    }
}

/// Reference for `linear` with AVX512_BF16 weights (`PackedWeights.bf16Pairs`): as `linearNaive` with every
/// activation first rounded to bfloat16 (nearest even), as that kernel rounds it.
public func linearBF16Naive(_ x: UnsafePointer<Float>, rows m: Int, weights w: UnsafePointer<Float>,
                            outFeatures n: Int, inFeatures k: Int, bias: UnsafePointer<Float>?,
                            out: UnsafeMutablePointer<Float>) {
    let rounded = (0..<(m * k)).map { BFloat16.float(fromBits: BFloat16.bits(from: x[$0])) }
    linearNaive(rounded, rows: m, weights: w, outFeatures: n, inFeatures: k, bias: bias, out: out)
}

/// Reference for the bits of `gemm` with `transposeB` (C = α·op(A)·Bᵀ + β·C, same contract): the dot order
/// of GEMM+Dot.swift spelled out one scalar at a time. Every transposed-B path must match it exactly.
public func gemmDotNaive(transposeA: Bool, m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>,
                         lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>,
                         ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            if k == 0 { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
            var k0 = 0
            while k0 < k {
                let kc = min(dotBlockK, k - k0)
                var s = [Float](repeating: 0, count: 8)
                for p in 0..<kc {
                    let av = transposeA ? a[(k0 + p) * lda + i] : a[i * lda + k0 + p]
                    s[p % 8].addProduct(av, b[j * ldb + k0 + p])
                }
                let sum = ((s[0] + s[2]) + (s[1] + s[3])) + ((s[4] + s[6]) + (s[5] + s[7]))
                let d = c + i * ldc + j
                var v = alpha * sum
                if k0 > 0 { v = v + d.pointee } else if beta != 0 { v.addProduct(beta, d.pointee) }
                d.pointee = v
                k0 += kc
            }
        }
    }
}
