import Foundation
import Tensors

/// The few numeric primitives the models call, in one place over the kernels of `Tensors`.
enum Backend {
    /// Runs `body(i)` for i in 0..<count on up to `Parallel.threadCount` threads.
    @inline(__always)
    static func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        Parallel.forEach(chunks: count, body)
    }

    /// C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C, row-major with leading dimensions.
    /// `transA`: A is stored [K, M]; `transB`: B is stored [N, K].
    @inline(__always)
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        Tensors.gemm(transposeA: transA, transposeB: transB, m: m, n: n, k: k, alpha: alpha,
                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
