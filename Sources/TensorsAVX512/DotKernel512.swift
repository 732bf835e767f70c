import _Builtin_intrinsics.intel

// The AVX-512 kernel of the dot order (Tensors' GEMM+Dot.swift) for C = A·Bᵀ: each zmm accumulator holds
// the 8 lane sums of two columns of C side by side, so the lanes are summed exactly as the AVX2 kernel's
// (A's 8 floats of a chunk are broadcast to both halves), then reduced with the same tree.

/// Sums of one K block in the dot order for 6 rows × 8 columns, `sums[r, c]` (`// [6, 8]`): row r of A
/// against column c of Bᵀ over `chunks` chunks of 8. A comes as two packed groups of three rows (`a0`,
/// `a1`: `// [chunks, 3, 8]`), B as two packed groups of four columns (`b0`, `b1`: `// [chunks, 4, 8]`).
public func avx512DotTile(chunks: Int, a0: UnsafePointer<Float>, a1: UnsafePointer<Float>, b0: UnsafePointer<Float>,
                          b1: UnsafePointer<Float>, sums: UnsafeMutablePointer<Float>) {
    typealias V = SIMD16<Float>
    // c<row><column pair>: 24 accumulators, 4 B vectors and one broadcast of A in the 32 zmm registers.
    var c00 = V(), c01 = V(), c02 = V(), c03 = V(), c10 = V(), c11 = V(), c12 = V(), c13 = V()
    var c20 = V(), c21 = V(), c22 = V(), c23 = V(), c30 = V(), c31 = V(), c32 = V(), c33 = V()
    var c40 = V(), c41 = V(), c42 = V(), c43 = V(), c50 = V(), c51 = V(), c52 = V(), c53 = V()
    var ap0 = UnsafeRawPointer(a0), ap1 = UnsafeRawPointer(a1)
    var bp0 = UnsafeRawPointer(b0), bp1 = UnsafeRawPointer(b1)
    for _ in 0..<chunks {
        let p0 = bp0.loadUnaligned(as: V.self), p1 = bp0.loadUnaligned(fromByteOffset: 64, as: V.self)
        let p2 = bp1.loadUnaligned(as: V.self), p3 = bp1.loadUnaligned(fromByteOffset: 64, as: V.self)
        @inline(__always) func row(_ x: UnsafeRawPointer, _ offset: Int,
                                   _ r0: inout V, _ r1: inout V, _ r2: inout V, _ r3: inout V) {
            let h = x.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let s = V(lowHalf: h, highHalf: h)
            r0.addProduct(s, p0); r1.addProduct(s, p1); r2.addProduct(s, p2); r3.addProduct(s, p3)
        }
        row(ap0, 0, &c00, &c01, &c02, &c03)
        row(ap0, 32, &c10, &c11, &c12, &c13)
        row(ap0, 64, &c20, &c21, &c22, &c23)
        row(ap1, 0, &c30, &c31, &c32, &c33)
        row(ap1, 32, &c40, &c41, &c42, &c43)
        row(ap1, 64, &c50, &c51, &c52, &c53)
        ap0 += 96; ap1 += 96; bp0 += 128; bp1 += 128
    }
    let o = UnsafeMutableRawPointer(sums)
    let r01 = reduce(half(c00, c01, c02, c03), half(c10, c11, c12, c13))
    let r23 = reduce(half(c20, c21, c22, c23), half(c30, c31, c32, c33))
    let r45 = reduce(half(c40, c41, c42, c43), half(c50, c51, c52, c53))
    o.storeBytes(of: r01, as: V.self)
    o.storeBytes(of: r23, toByteOffset: 64, as: V.self)
    o.storeBytes(of: r45, toByteOffset: 128, as: V.self)
}

/// One row's accumulators (column pairs 01, 23, 45, 67; in each, lanes 0..<8 one column's s0…s7) half
/// reduced: 128-bit lane 0 holds (s0+s2)+(s1+s3) of columns 0, 2, 4, 6, lane 1 (s4+s6)+(s5+s7) of the
/// same, lanes 2 and 3 the same for columns 1, 3, 5, 7.
@inline(__always)
func half(_ p0: SIMD16<Float>, _ p1: SIMD16<Float>, _ p2: SIMD16<Float>, _ p3: SIMD16<Float>) -> SIMD16<Float> {
    let t = _mm512_unpacklo_ps(p0, p1) + _mm512_unpackhi_ps(p0, p1)
    let u = _mm512_unpacklo_ps(p2, p3) + _mm512_unpackhi_ps(p2, p3)
    let td = _mm512_castps_pd(t), ud = _mm512_castps_pd(u)
    return _mm512_castpd_ps(_mm512_unpacklo_pd(td, ud)) + _mm512_castpd_ps(_mm512_unpackhi_pd(td, ud))
}

/// The two halves of two rows (`half`) added in column order: `[row 0 columns 0..<8, row 1 columns 0..<8]`.
@inline(__always)
func reduce(_ w0: SIMD16<Float>, _ w1: SIMD16<Float>) -> SIMD16<Float> {
    // Column c of row 0 sits at 128-bit lane (c odd ? 2 : 0) + {0, 1}, element c / 2; row 1 at 16 + the same.
    let first = SIMD16<Int32>(0, 8, 1, 9, 2, 10, 3, 11, 16, 24, 17, 25, 18, 26, 19, 27)
    let second = first &+ 4
    return _mm512_permutex2var_ps(w0, unsafeBitCast(first, to: SIMD8<Int64>.self), w1)
        + _mm512_permutex2var_ps(w0, unsafeBitCast(second, to: SIMD8<Int64>.self), w1)
}
