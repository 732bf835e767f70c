import Foundation
import Tensors

// Forward and backward of the element-wise and row-wise layers, side by side (llm.c style).
// Every backward *accumulates* into its parameter gradients (dW += …) and writes (or adds to, when
// `accumulate` is set) the input gradient. Shapes: N = rows (B·T), C = channels.

/// Layer kernels used by training; each backward is checked against finite differences in the tests.
public enum TrainingKernels {
    // MARK: linear  y = x·Wᵀ + b

    /// out [N, O] = x [N, I] · Wᵀ (W [O, I]) + bias [O].
    public static func linearForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                     _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, rows n: Int,
                                     inFeatures i: Int, outFeatures o: Int) {
        // Packing W once per call (O·I floats) puts the N·O·I product on the packed-panel kernels, faster than
        // the dot-product tiles an unpacked Wᵀ operand gets; the bias is fused into the store.
        linear(x, rows: n, weights: PackedWeights(w, outFeatures: o, inFeatures: i), bias: bias, out: out)
    }

    /// dx [N, I] (= or +=) dy · W; dW [O, I] += dyᵀ · x; dbias [O] += Σ_rows dy.
    public static func linearBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>,
                                      dbias: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>,
                                      x: UnsafePointer<Float>, w: UnsafePointer<Float>, rows n: Int,
                                      inFeatures i: Int, outFeatures o: Int, accumulate: Bool = false) {
        if let dx {
            gemm(transposeA: false, transposeB: false, m: n, n: i, k: o, a: dy, lda: o, b: w, ldb: i,
                 beta: accumulate ? 1 : 0, c: dx, ldc: i)
        }
        gemm(transposeA: true, transposeB: false, m: o, n: i, k: n, a: dy, lda: o, b: x, ldb: i, beta: 1,
             c: dw, ldc: i)
        if let dbias {
            for r in 0..<n {
                let row = dy + r * o
                for j in 0..<o { dbias[j] += row[j] }
            }
        }
    }

    // MARK: LayerNorm  y = (x − μ)·rstd·γ + β

    /// out [N, C]; caches mean [N] and rstd [N] for the backward.
    public static func layerNormForward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                                        rstd: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows n: Int,
                                        channels c: Int, eps: Float) {
        Profiler.time(.norms) { layerNormForwardUntimed(out, mean: mean, rstd: rstd, x, weight: weight, bias: bias,
                                                         rows: n, channels: c, eps: eps) }
    }

    static func layerNormForwardUntimed(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                                        rstd: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows n: Int,
                                        channels c: Int, eps: Float) {
        Parallel.forEach(range: n, costPerItem: Double(c) * 3) { range in
            for r in range {
                let xr = x + r * c, yr = out + r * c
                var m: Float = 0
                for j in 0..<c { m += xr[j] }
                m /= Float(c)
                var v: Float = 0
                for j in 0..<c { let d = xr[j] - m; v += d * d }
                v /= Float(c)
                let s = 1 / (v + eps).squareRoot()
                for j in 0..<c { yr[j] = (xr[j] - m) * s * weight[j] + bias[j] }
                mean[r] = m
                rstd[r] = s
            }
        }
    }

    /// dx [N, C] (= or +=); dweight, dbias [C] +=.
    public static func layerNormBackward(dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                         dbias: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                                         x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                         mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows n: Int,
                                         channels c: Int, accumulate: Bool = false) {
        Profiler.time(.norms) {
            layerNormBackwardUntimed(dx: dx, dweight: dweight, dbias: dbias, dy: dy, x: x, weight: weight, mean: mean,
                                     rstd: rstd, rows: n, channels: c, accumulate: accumulate)
        }
    }

    static func layerNormBackwardUntimed(dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                         dbias: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                                         x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                         mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows n: Int,
                                         channels c: Int, accumulate: Bool) {
        // Input gradient in parallel over rows; parameter gradients in a second, serial pass (no races).
        Parallel.forEach(range: n, costPerItem: Double(c) * 4) { range in
            for r in range {
                let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c
                let m = mean[r], s = rstd[r]
                var sumD: Float = 0, sumDX: Float = 0
                for j in 0..<c {
                    let xhat = (xr[j] - m) * s
                    let dn = dyr[j] * weight[j]
                    sumD += dn
                    sumDX += dn * xhat
                }
                sumD /= Float(c)
                sumDX /= Float(c)
                for j in 0..<c {
                    let xhat = (xr[j] - m) * s
                    let g = (dyr[j] * weight[j] - sumD - xhat * sumDX) * s
                    dxr[j] = accumulate ? dxr[j] + g : g
                }
            }
        }
        for r in 0..<n {
            let xr = x + r * c, dyr = dy + r * c
            let m = mean[r], s = rstd[r]
            for j in 0..<c {
                dbias[j] += dyr[j]
                dweight[j] += dyr[j] * (xr[j] - m) * s
            }
        }
    }

    // MARK: GELU (exact erf) and GeGLU  out = u₁ ⊙ gelu(u₂): the vector kernels of `Kernels`

    /// out [N, C] = gelu(x [N, C]).
    public static func geluForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        Profiler.time(.activations) {
            if UnsafePointer(out) != x { out.update(from: x, count: count) }
            Kernels.gelu(out, count: count)
        }
    }

    /// dx = dy ⊙ gelu′(x).
    public static func geluBackward(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                    count: Int) {
        Profiler.time(.activations) { Kernels.geluBackward(dx: dx, dy: dy, x: x, count: count) }
    }

    /// out [N, F] = u[:, :F] ⊙ gelu(u[:, F:]) with u [N, 2F].
    public static func gegluForward(_ out: UnsafeMutablePointer<Float>, _ u: UnsafePointer<Float>, rows n: Int,
                                    halfWidth f: Int) {
        Profiler.time(.activations) { Kernels.geglu(u, out, rows: n, halfWidth: f) }
    }

    /// du [N, 2F] from dy [N, F].
    public static func gegluBackward(du: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, u: UnsafePointer<Float>,
                                     rows n: Int, halfWidth f: Int) {
        Profiler.time(.activations) { Kernels.gegluBackward(du: du, dy: dy, u: u, rows: n, halfWidth: f) }
    }

    // MARK: embedding  out[t] = table[ids[t]]

    public static func embeddingForward(_ out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>,
                                        table: UnsafePointer<Float>, rows n: Int, dim c: Int) {
        for r in 0..<n { (out + r * c).update(from: table + Int(ids[r]) * c, count: c) }
    }

    /// dtable[ids[t]] += dy[t].
    public static func embeddingBackward(dtable: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                                         ids: UnsafePointer<Int32>, rows n: Int, dim c: Int) {
        for r in 0..<n {
            let d = dtable + Int(ids[r]) * c, g = dy + r * c
            for j in 0..<c { d[j] += g[j] }
        }
    }

    // MARK: rotary (rotate_half)  x′ = x·cos(pθ) + rotate_half(x)·sin(pθ)

    /// Rotates `dim` values at `x + r·rowStride + h·headStride + offset` by p·θ_j (θ_j = base^(−2j/dim));
    /// `inverse` rotates by −p·θ, which is the backward (the rotation is orthogonal).
    public static func rotary(_ x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headStride: Int,
                              offset: Int, dim: Int, positions: UnsafePointer<Int32>, inverse: Bool,
                              base: Float = 10000) {
        let rope = Rotary(dim: dim, base: base)
        Profiler.time(.rotary) {
            Parallel.forEach(range: rows, costPerItem: Double(heads * dim) * 3) { range in
                rope.rotate(x, rows: range, rowStride: rowStride, heads: heads, headStride: headStride, offset: offset,
                            positions: positions, inverse: inverse)
            }
        }
    }

    // MARK: dropout

    /// x ⊙ mask / (1 − p) with a seeded Bernoulli mask (mask stored as 0/scale for the backward).
    public static func dropoutForward(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int,
                                      p: Float, rng: inout SeededRandom) {
        let scale = 1 / (1 - p)
        for i in 0..<count {
            mask[i] = Float(rng.nextUnit()) < p ? 0 : scale
            x[i] *= mask[i]
        }
    }
}
