/// Row-wise kernels: softmax and normalisations over the last dimension of `// [rows, cols]` buffers.
extension Kernels {
    /// Each row of x `// [rows, cols]` becomes softmax(scale · row + mask row), in place.
    /// `mask` (additive, e.g. 0 / -inf) has rows `maskRowStride` apart (default `cols`; 0 = one row shared
    /// by all). A row whose every entry is -inf becomes all zeros.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, scale: Float = 1,
                               mask: UnsafePointer<Float>? = nil, maskRowStride: Int? = nil) {
        let mstride = maskRowStride ?? cols
        Parallel.forEach(range: rows, costPerItem: Double(cols) * 1.5) { range in
            for r in range {
                softmaxRow(x + r * cols, cols: cols, scale: scale, mask: mask.map { $0 + r * mstride })
            }
        }
    }

    @inline(__always)
    static func softmaxRow(_ x: UnsafeMutablePointer<Float>, cols: Int, scale: Float, mask: UnsafePointer<Float>?) {
        // Pass 1: y = scale·x + mask, running max.
        var vmaxAcc = F8(repeating: -.infinity)
        var m = -Float.infinity
        var i = 0
        while i + 8 <= cols {
            let raw = UnsafeMutableRawPointer(x + i)
            var v = raw.loadUnaligned(as: F8.self) * splat(scale)
            if let mask { v += UnsafeRawPointer(mask + i).loadUnaligned(as: F8.self) }
            raw.storeBytes(of: v, as: F8.self)
            vmaxAcc = vmax(vmaxAcc, v)
            i += 8
        }
        // Batch invariance: the tail is one more vector padded with −∞ (e^−∞ = 0), so element i always lands
        // in lane i mod 8 and the sum below does not change when a padded batch lengthens the row with
        // masked keys (a scalar tail summed separately made the last bits depend on the padded length).
        let rest = cols - i
        if rest > 0 {
            var v = F8(repeating: -.infinity)
            for l in 0..<rest { v[l] = x[i + l] }
            v *= splat(scale)
            if let mask {
                var mv = F8()
                for l in 0..<rest { mv[l] = mask[i + l] }
                v += mv
            }
            for l in 0..<rest { x[i + l] = v[l] }
            vmaxAcc = vmax(vmaxAcc, v)
        }
        m = max(m, hmax(vmaxAcc))
        if m == -.infinity {
            for j in 0..<cols { x[j] = 0 }
            return
        }
        // Pass 2: e^(y - max) and the sum.
        var vsum = F8()
        var s: Float = 0
        i = 0
        while i + 8 <= cols {
            let raw = UnsafeMutableRawPointer(x + i)
            let e = vexp(raw.loadUnaligned(as: F8.self) - splat(m))
            raw.storeBytes(of: e, as: F8.self)
            vsum += e
            i += 8
        }
        if i < cols {
            var v = F8(repeating: -.infinity)
            for l in 0..<(cols - i) { v[l] = x[i + l] }
            let e = vexp(v - splat(m))
            for l in 0..<(cols - i) { x[i + l] = e[l] }
            vsum += e
        }
        s += hsum(vsum)
        // Pass 3: normalise.
        let inv = 1 / s
        i = 0
        while i + 8 <= cols {
            let raw = UnsafeMutableRawPointer(x + i)
            raw.storeBytes(of: raw.loadUnaligned(as: F8.self) * splat(inv), as: F8.self)
            i += 8
        }
        while i < cols { x[i] *= inv; i += 1 }
    }

    /// out = (x − mean) / √(var + eps) · gamma + beta per row of `// [rows, cols]` (biased variance, as torch).
    /// gamma and beta are `[cols]`; beta may be nil.
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int, gamma: UnsafePointer<Float>,
                                 beta: UnsafePointer<Float>?, eps: Float, out: UnsafeMutablePointer<Float>) {
        Parallel.forEach(range: rows, costPerItem: Double(cols) * 1.0) { range in
            for r in range {
                let xr = x + r * cols, o = out + r * cols
                // Corrected two-pass algorithm: a rough mean, then centred sums whose first moment
                // corrects the mean — accurate even when the row's mean dwarfs its spread.
                let rough = sum(xr, cols) / Float(cols)
                var acc = F8(), accD = F8()
                var tail: Float = 0, tailD: Float = 0
                var i = 0
                while i + 8 <= cols {
                    let d = UnsafeRawPointer(xr + i).loadUnaligned(as: F8.self) - splat(rough)
                    acc.addProduct(d, d)
                    accD += d
                    i += 8
                }
                while i < cols { let d = xr[i] - rough; tail += d * d; tailD += d; i += 1 }
                let sumD = hsum(accD) + tailD
                let mean = rough + sumD / Float(cols)
                let variance = max(0, (hsum(acc) + tail - sumD * sumD / Float(cols)) / Float(cols))
                let inv = 1 / (variance + eps).squareRoot()
                i = 0
                while i + 8 <= cols {
                    let d = UnsafeRawPointer(xr + i).loadUnaligned(as: F8.self) - splat(mean)
                    var y = d * splat(inv) * UnsafeRawPointer(gamma + i).loadUnaligned(as: F8.self)
                    if let beta { y += UnsafeRawPointer(beta + i).loadUnaligned(as: F8.self) }
                    UnsafeMutableRawPointer(o + i).storeBytes(of: y, as: F8.self)
                    i += 8
                }
                while i < cols { o[i] = (xr[i] - mean) * inv * gamma[i] + (beta?[i] ?? 0); i += 1 }
            }
        }
    }

    /// out = x / √(mean(x²) + eps) · gamma per row of `// [rows, cols]`; gamma is `[cols]`.
    public static func rmsNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int, gamma: UnsafePointer<Float>,
                               eps: Float, out: UnsafeMutablePointer<Float>) {
        Parallel.forEach(range: rows, costPerItem: Double(cols) * 0.7) { range in
            for r in range {
                let xr = x + r * cols, o = out + r * cols
                var acc = F8()
                var tail: Float = 0
                var i = 0
                while i + 8 <= cols {
                    let v = UnsafeRawPointer(xr + i).loadUnaligned(as: F8.self)
                    acc.addProduct(v, v)
                    i += 8
                }
                while i < cols { tail += xr[i] * xr[i]; i += 1 }
                let inv = 1 / ((hsum(acc) + tail) / Float(cols) + eps).squareRoot()
                i = 0
                while i + 8 <= cols {
                    let v = UnsafeRawPointer(xr + i).loadUnaligned(as: F8.self)
                    let y = v * splat(inv) * UnsafeRawPointer(gamma + i).loadUnaligned(as: F8.self)
                    UnsafeMutableRawPointer(o + i).storeBytes(of: y, as: F8.self)
                    i += 8
                }
                while i < cols { o[i] = xr[i] * inv * gamma[i]; i += 1 }
            }
        }
    }

    /// Σ x[i] with 8-lane partial sums.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = F8()
        var i = 0
        while i + 8 <= n { acc += UnsafeRawPointer(x + i).loadUnaligned(as: F8.self); i += 8 }
        var s = hsum(acc)
        while i < n { s += x[i]; i += 1 }
        return s
    }
}
