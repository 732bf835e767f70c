import Foundation

/// Scalar references for `Kernels`, written as the textbook formulas and computed in Double.
extension Kernels {
    public static func addReference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                    _ out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = a[i] + b[i] }
    }

    public static func mulReference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                    _ out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = a[i] * b[i] }
    }

    public static func scaleReference(_ x: UnsafeMutablePointer<Float>, count: Int, by s: Float) {
        for i in 0..<count { x[i] *= s }
    }

    public static func addScaledReference(_ x: UnsafePointer<Float>, alpha: Float, to y: UnsafeMutablePointer<Float>,
                                          count: Int) {
        for i in 0..<count { y[i] = Float(Double(y[i]) + Double(alpha) * Double(x[i])) }
    }

    public static func addRowReference(_ v: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, rows: Int,
                                       cols: Int) {
        for r in 0..<rows { for c in 0..<cols { x[r * cols + c] += v[c] } }
    }

    public static func expReference(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = Float(Foundation.exp(Double(x[i]))) }
    }

    /// GELU with the exact erf formula ½x(1 + erf(x/√2)).
    public static func geluReference(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = Double(x[i])
            x[i] = Float(0.5 * v * (1 + erf(v / 2.0.squareRoot())))
        }
    }

    /// ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), evaluated as x / (1 + e^(−2u)) (the same function;
    /// 1 + tanh u loses all digits for u ≪ 0 even in Double).
    public static func geluTanhReference(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = Double(x[i])
            let u = (2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)
            x[i] = Float(v / (1 + Foundation.exp(-2 * u)))
        }
    }

    public static func siluReference(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = Double(x[i])
            x[i] = Float(v / (1 + Foundation.exp(-v)))
        }
    }

    public static func softmaxReference(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, scale: Float = 1,
                                        mask: UnsafePointer<Float>? = nil, maskRowStride: Int? = nil) {
        let mstride = maskRowStride ?? cols
        for r in 0..<rows {
            let row = x + r * cols
            let y = (0..<cols).map { Double(row[$0]) * Double(scale) + Double(mask?[r * mstride + $0] ?? 0) }
            let m = y.max() ?? 0
            if m == -.infinity {
                for j in 0..<cols { row[j] = 0 }
                continue
            }
            let e = y.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            for j in 0..<cols { row[j] = Float(e[j] / s) }
        }
    }

    public static func layerNormReference(_ x: UnsafePointer<Float>, rows: Int, cols: Int,
                                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?, eps: Float,
                                          out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = (0..<cols).map { Double(x[r * cols + $0]) }
            let mean = xr.reduce(0, +) / Double(cols)
            let variance = xr.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(cols)
            let inv = 1 / (variance + Double(eps)).squareRoot()
            for j in 0..<cols {
                out[r * cols + j] = Float((xr[j] - mean) * inv * Double(gamma[j]) + Double(beta?[j] ?? 0))
            }
        }
    }

    public static func rmsNormReference(_ x: UnsafePointer<Float>, rows: Int, cols: Int, gamma: UnsafePointer<Float>,
                                        eps: Float, out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = (0..<cols).map { Double(x[r * cols + $0]) }
            let ms = xr.map { $0 * $0 }.reduce(0, +) / Double(cols)
            let inv = 1 / (ms + Double(eps)).squareRoot()
            for j in 0..<cols { out[r * cols + j] = Float(xr[j] * inv * Double(gamma[j])) }
        }
    }
}
