import Foundation

/// GeGLU (xTrimoPGLM's FFN gate), its gradient and GELU's gradient (training), vectorised; `…Reference` twins in Double for the tests.
/// Layout `// [rows, 2F]` input u = [a | g] per row; output `// [rows, F]` = a ⊙ GELU(g) (exact-erf GELU).
extension Kernels {
    /// out [rows, F] = u[:, :F] ⊙ GELU(u[:, F:]) with u [rows, 2F].
    public static func geglu(_ u: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int, halfWidth f: Int) {
        Parallel.forEach(range: rows, costPerItem: Double(f) * 4) { range in
            for r in range {
                let a = u + r * 2 * f, g = a + f, o = out + r * f
                var j = 0
                while j < f {
                    let n = min(8, f - j)
                    let (phi, _) = vnormalCDFAndDensity(load(g + j, n))
                    store(load(a + j, n) * load(g + j, n) * phi, o + j, n)
                    j += 8
                }
            }
        }
    }

    /// du [rows, 2F] (overwritten) from dy [rows, F]: du[:, :F] = dy ⊙ GELU(g), du[:, F:] = dy ⊙ a ⊙ GELU′(g),
    /// GELU′(g) = Φ(g) + g·φ(g).
    public static func gegluBackward(du: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, u: UnsafePointer<Float>,
                                     rows: Int, halfWidth f: Int) {
        Parallel.forEach(range: rows, costPerItem: Double(f) * 6) { range in
            for r in range {
                let a = u + r * 2 * f, g = a + f, d = dy + r * f, da = du + r * 2 * f, dg = da + f
                var j = 0
                while j < f {
                    let n = min(8, f - j)
                    let gv = load(g + j, n), dv = load(d + j, n)
                    let (phi, density) = vnormalCDFAndDensity(gv)
                    store(dv * gv * phi, da + j, n)
                    store(dv * load(a + j, n) * phi.addingProduct(gv, density), dg + j, n)
                    j += 8
                }
            }
        }
    }

    /// dx = dy ⊙ GELU′(x) `// [count]` (overwritten), GELU′(x) = Φ(x) + x·φ(x).
    public static func geluBackward(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                    count: Int) {
        Parallel.forEach(range: (count + 1023) / 1024, costPerItem: 6000) { blocks in
            var i = blocks.lowerBound * 1024
            let end = min(count, blocks.upperBound * 1024)
            while i < end {
                let n = min(8, end - i), xv = load(x + i, n)
                let (phi, density) = vnormalCDFAndDensity(xv)
                store(load(dy + i, n) * phi.addingProduct(xv, density), dx + i, n)
                i += 8
            }
        }
    }

    /// Scalar Double twin of `geluBackward`.
    public static func geluBackwardReference(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                                             x: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = Double(x[i])
            let phi = 0.5 * (1 + erf(v / 2.0.squareRoot())), density = Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
            dx[i] = Float(Double(dy[i]) * (phi + v * density))
        }
    }

    /// Scalar Double twin of `geglu`.
    public static func gegluReference(_ u: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int,
                                      halfWidth f: Int) {
        for r in 0..<rows {
            for j in 0..<f {
                let a = Double(u[r * 2 * f + j]), g = Double(u[r * 2 * f + f + j])
                out[r * f + j] = Float(a * g * 0.5 * (1 + erf(g / 2.0.squareRoot())))
            }
        }
    }

    /// Scalar Double twin of `gegluBackward`.
    public static func gegluBackwardReference(du: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                                              u: UnsafePointer<Float>, rows: Int, halfWidth f: Int) {
        for r in 0..<rows {
            for j in 0..<f {
                let a = Double(u[r * 2 * f + j]), g = Double(u[r * 2 * f + f + j]), d = Double(dy[r * f + j])
                let phi = 0.5 * (1 + erf(g / 2.0.squareRoot())), density = Foundation.exp(-0.5 * g * g) / (2 * Double.pi).squareRoot()
                du[r * 2 * f + j] = Float(d * g * phi)
                du[r * 2 * f + f + j] = Float(d * a * (phi + g * density))
            }
        }
    }

    /// n ≤ 8 floats into a vector (zeros beyond n).
    @inline(__always) private static func load(_ p: UnsafePointer<Float>, _ n: Int) -> F8 {
        if n == 8 { return UnsafeRawPointer(p).loadUnaligned(as: F8.self) }
        var v = F8()
        for l in 0..<n { v[l] = p[l] }
        return v
    }

    @inline(__always) private static func load(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> F8 { load(UnsafePointer(p), n) }

    @inline(__always) private static func store(_ v: F8, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: F8.self); return }
        for l in 0..<n { p[l] = v[l] }
    }
}
