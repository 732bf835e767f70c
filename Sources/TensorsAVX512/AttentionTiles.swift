// The AVX-512 tiles of the fused attention (`Tensors.FlashAttention`): the two matrix products of a key block,
// on zmm registers. Every output element is the same FMA chain as in the AVX2 tiles (scores: over the head
// dimension in order, then × scale; context: × the rescale factor, then over the block's keys in order), so
// both paths give the same bits and only the speed depends on the CPU.

/// out[r][0..<64] = scale · q[r] · kT[:, 0..<64] for six query rows, from a packed Kᵀ block [D, 64].
public func avx512AttentionScores(q: UnsafePointer<UnsafePointer<Float>>, kT: UnsafePointer<Float>, dim d: Int,
                                  scale: Float, out: UnsafePointer<UnsafeMutablePointer<Float>>) {
    let q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5]
    var a00 = F16x(), a01 = F16x(), a02 = F16x(), a03 = F16x()
    var a10 = F16x(), a11 = F16x(), a12 = F16x(), a13 = F16x()
    var a20 = F16x(), a21 = F16x(), a22 = F16x(), a23 = F16x()
    var a30 = F16x(), a31 = F16x(), a32 = F16x(), a33 = F16x()
    var a40 = F16x(), a41 = F16x(), a42 = F16x(), a43 = F16x()
    var a50 = F16x(), a51 = F16x(), a52 = F16x(), a53 = F16x()
    var kp = kT
    for x in 0..<d {
        let k0 = zload(kp), k1 = zload(kp + 16), k2 = zload(kp + 32), k3 = zload(kp + 48)
        var b = F16x(repeating: q0[x])
        a00 = a00.addingProduct(b, k0); a01 = a01.addingProduct(b, k1); a02 = a02.addingProduct(b, k2); a03 = a03.addingProduct(b, k3)
        b = F16x(repeating: q1[x])
        a10 = a10.addingProduct(b, k0); a11 = a11.addingProduct(b, k1); a12 = a12.addingProduct(b, k2); a13 = a13.addingProduct(b, k3)
        b = F16x(repeating: q2[x])
        a20 = a20.addingProduct(b, k0); a21 = a21.addingProduct(b, k1); a22 = a22.addingProduct(b, k2); a23 = a23.addingProduct(b, k3)
        b = F16x(repeating: q3[x])
        a30 = a30.addingProduct(b, k0); a31 = a31.addingProduct(b, k1); a32 = a32.addingProduct(b, k2); a33 = a33.addingProduct(b, k3)
        b = F16x(repeating: q4[x])
        a40 = a40.addingProduct(b, k0); a41 = a41.addingProduct(b, k1); a42 = a42.addingProduct(b, k2); a43 = a43.addingProduct(b, k3)
        b = F16x(repeating: q5[x])
        a50 = a50.addingProduct(b, k0); a51 = a51.addingProduct(b, k1); a52 = a52.addingProduct(b, k2); a53 = a53.addingProduct(b, k3)
        kp += 64
    }
    let s = F16x(repeating: scale)
    zstore4(a00 * s, a01 * s, a02 * s, a03 * s, out[0])
    zstore4(a10 * s, a11 * s, a12 * s, a13 * s, out[1])
    zstore4(a20 * s, a21 * s, a22 * s, a23 * s, out[2])
    zstore4(a30 * s, a31 * s, a32 * s, a33 * s, out[3])
    zstore4(a40 * s, a41 * s, a42 * s, a43 * s, out[4])
    zstore4(a50 * s, a51 * s, a52 * s, a53 * s, out[5])
}

/// o[r][x] = o[r][x]·factor[r] + Σ_{j < keys} p[r][j]·v[j·vStride + x] for six rows and x < columns
/// (a multiple of 16).
public func avx512AttentionValues(p: UnsafePointer<UnsafePointer<Float>>, keys n: Int, v: UnsafePointer<Float>,
                                  vStride: Int, columns: Int, factors: UnsafePointer<Float>,
                                  o: UnsafePointer<UnsafeMutablePointer<Float>>) {
    let p0 = p[0], p1 = p[1], p2 = p[2], p3 = p[3], p4 = p[4], p5 = p[5]
    let o0 = o[0], o1 = o[1], o2 = o[2], o3 = o[3], o4 = o[4], o5 = o[5]
    let c0 = F16x(repeating: factors[0]), c1 = F16x(repeating: factors[1]), c2 = F16x(repeating: factors[2])
    let c3 = F16x(repeating: factors[3]), c4 = F16x(repeating: factors[4]), c5 = F16x(repeating: factors[5])
    var x = 0
    while x + 32 <= columns {
        var a00 = zload(o0 + x) * c0, a01 = zload(o0 + x + 16) * c0
        var a10 = zload(o1 + x) * c1, a11 = zload(o1 + x + 16) * c1
        var a20 = zload(o2 + x) * c2, a21 = zload(o2 + x + 16) * c2
        var a30 = zload(o3 + x) * c3, a31 = zload(o3 + x + 16) * c3
        var a40 = zload(o4 + x) * c4, a41 = zload(o4 + x + 16) * c4
        var a50 = zload(o5 + x) * c5, a51 = zload(o5 + x + 16) * c5
        var vp = v + x
        for j in 0..<n {
            let v0 = zload(vp), v1 = zload(vp + 16)
            var b = F16x(repeating: p0[j])
            a00 = a00.addingProduct(b, v0); a01 = a01.addingProduct(b, v1)
            b = F16x(repeating: p1[j])
            a10 = a10.addingProduct(b, v0); a11 = a11.addingProduct(b, v1)
            b = F16x(repeating: p2[j])
            a20 = a20.addingProduct(b, v0); a21 = a21.addingProduct(b, v1)
            b = F16x(repeating: p3[j])
            a30 = a30.addingProduct(b, v0); a31 = a31.addingProduct(b, v1)
            b = F16x(repeating: p4[j])
            a40 = a40.addingProduct(b, v0); a41 = a41.addingProduct(b, v1)
            b = F16x(repeating: p5[j])
            a50 = a50.addingProduct(b, v0); a51 = a51.addingProduct(b, v1)
            vp += vStride
        }
        zstore(a00, o0 + x); zstore(a01, o0 + x + 16)
        zstore(a10, o1 + x); zstore(a11, o1 + x + 16)
        zstore(a20, o2 + x); zstore(a21, o2 + x + 16)
        zstore(a30, o3 + x); zstore(a31, o3 + x + 16)
        zstore(a40, o4 + x); zstore(a41, o4 + x + 16)
        zstore(a50, o5 + x); zstore(a51, o5 + x + 16)
        x += 32
    }
    if x + 16 <= columns {
        var a0 = zload(o0 + x) * c0, a1 = zload(o1 + x) * c1, a2 = zload(o2 + x) * c2
        var a3 = zload(o3 + x) * c3, a4 = zload(o4 + x) * c4, a5 = zload(o5 + x) * c5
        var vp = v + x
        for j in 0..<n {
            let v0 = zload(vp)
            a0 = a0.addingProduct(F16x(repeating: p0[j]), v0)
            a1 = a1.addingProduct(F16x(repeating: p1[j]), v0)
            a2 = a2.addingProduct(F16x(repeating: p2[j]), v0)
            a3 = a3.addingProduct(F16x(repeating: p3[j]), v0)
            a4 = a4.addingProduct(F16x(repeating: p4[j]), v0)
            a5 = a5.addingProduct(F16x(repeating: p5[j]), v0)
            vp += vStride
        }
        zstore(a0, o0 + x); zstore(a1, o1 + x); zstore(a2, o2 + x)
        zstore(a3, o3 + x); zstore(a4, o4 + x); zstore(a5, o5 + x)
    }
}

@inline(__always) private func zload(_ p: UnsafePointer<Float>) -> F16x { UnsafeRawPointer(p).loadUnaligned(as: F16x.self) }
@inline(__always) private func zload(_ p: UnsafeMutablePointer<Float>) -> F16x { UnsafeRawPointer(p).loadUnaligned(as: F16x.self) }
@inline(__always) private func zstore(_ v: F16x, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F16x.self)
}
@inline(__always) private func zstore4(_ a: F16x, _ b: F16x, _ c: F16x, _ d: F16x, _ p: UnsafeMutablePointer<Float>) {
    zstore(a, p); zstore(b, p + 16); zstore(c, p + 32); zstore(d, p + 48)
}
