#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Eight SIMD8 vectors: the rows (or columns) of an 8×8 block.
typealias Block8x8 = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
                      SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

/// The 8×8 block at `p` (8 rows `rowBytes` apart, 8 floats each), transposed: lane r of result c is
/// row r's float c.
///
/// On x86-64 this is 8 half-row loads, 8 half-row inserts and 16 in-lane unpacks: written with
/// SIMD8 element initialisers instead, LLVM turned the network into ~3 shuffles per 4 floats.
@inline(__always)
func transposed8x8(_ p: UnsafeRawPointer, rowBytes s: Int) -> Block8x8 {
    #if arch(x86_64)
    typealias V = SIMD8<Float>
    // Row r's floats 0..<4 (`offset` 0) or 4..<8 (16) in the low half, row r + 4's in the high half.
    @inline(__always) func pair(_ r: Int, _ offset: Int) -> V {
        _mm256_set_m128((p + (r + 4) * s + offset).loadUnaligned(as: SIMD4<Float>.self),
                        (p + r * s + offset).loadUnaligned(as: SIMD4<Float>.self))
    }
    @inline(__always) func lo64(_ a: V, _ b: V) -> V {
        _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(a), _mm256_castps_pd(b)))
    }
    @inline(__always) func hi64(_ a: V, _ b: V) -> V {
        _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(a), _mm256_castps_pd(b)))
    }
    let r0 = pair(0, 0), r1 = pair(1, 0), r2 = pair(2, 0), r3 = pair(3, 0)
    let r4 = pair(0, 16), r5 = pair(1, 16), r6 = pair(2, 16), r7 = pair(3, 16)
    // t0 = [x0[0] x1[0] x0[1] x1[1] | x4[0] x5[0] x4[1] x5[1]] for rows x0…x7, and so on.
    let t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1)
    let t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3)
    let t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5)
    let t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7)
    return (lo64(t0, t2), hi64(t0, t2), lo64(t1, t3), hi64(t1, t3),
            lo64(t4, t6), hi64(t4, t6), lo64(t5, t7), hi64(t5, t7))
    #else
    return (column8(p, rowBytes: s, 0), column8(p, rowBytes: s, 1), column8(p, rowBytes: s, 2),
            column8(p, rowBytes: s, 3), column8(p, rowBytes: s, 4), column8(p, rowBytes: s, 5),
            column8(p, rowBytes: s, 6), column8(p, rowBytes: s, 7))
    #endif
}

/// Float `c` of each of the 8 rows at `p` (`rowBytes` apart), as one vector.
@inline(__always)
func column8(_ p: UnsafeRawPointer, rowBytes s: Int, _ c: Int) -> SIMD8<Float> {
    @inline(__always) func at(_ r: Int) -> Float { (p + r * s).load(fromByteOffset: c * 4, as: Float.self) }
    return SIMD8<Float>(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7))
}
