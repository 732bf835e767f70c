import Foundation

/// Vectorised elementwise and row kernels on raw F32 buffers. Each has a scalar twin in
/// `Kernels.…Reference` (computed in Double) that the tests hold it to. Output pointers may alias inputs.
public enum Kernels {
    /// out[i] = a[i] + b[i].
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                           count: Int) {
        binary(a, b, out, count) { $0 + $1 } scalar: { $0 + $1 }
    }

    /// out[i] = a[i] · b[i].
    public static func mul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                           count: Int) {
        binary(a, b, out, count) { $0 * $1 } scalar: { $0 * $1 }
    }

    /// x[i] *= s.
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by s: Float) {
        unary(x, count) { $0 * splat(s) } scalar: { $0 * s }
    }

    /// y[i] += α · x[i].
    public static func addScaled(_ x: UnsafePointer<Float>, alpha: Float, to y: UnsafeMutablePointer<Float>,
                                 count: Int) {
        binary(UnsafePointer(y), x, y, count) { $0.addingProduct(splat(alpha), $1) } scalar: { $0 + alpha * $1 }
    }

    /// x[r, c] += v[c] for every row of x `// [rows, cols]` (bias over a batch).
    public static func addRow(_ v: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows { add(x + r * cols, v, x + r * cols, count: cols) }
    }

    /// x[i] = e^x[i].
    public static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) {
        unary(x, count) { vexp($0) } scalar: { Foundation.exp($0) }
    }

    /// x[i] = GELU(x[i]) = x·Φ(x) with the exact erf form (as torch `gelu`, approximate='none').
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        unary(x, count) { vgeluErf($0) } scalar: { v in
            var one = F8(repeating: v)
            one = vgeluErf(one)
            return one[0]
        }
    }

    /// x[i] = ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (torch approximate='tanh'), as x·σ(2u) to avoid cancellation.
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        // 2u = x·(c1 + c2·x²) with c1 = 2√(2/π), c2 = 0.044715·c1: three roundings, since e^(−2u)
        // magnifies the error of u by |2u| on the negative side.
        unary(x, count) { v in
            let twoU = v * splat(1.595_769_121_605_730_7).addingProduct(splat(0.071_354_816_272_737_1), v * v)
            return v * vsigmoid(twoU)
        } scalar: { v in
            let twoU = v * (1.595_769_121_605_730_7 + 0.071_354_816_272_737_1 * v * v)
            return v / (1 + Foundation.exp(-twoU))
        }
    }

    /// x[i] = x·σ(x) (SiLU / swish).
    public static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        unary(x, count) { $0 * vsigmoid($0) } scalar: { $0 / (1 + Foundation.exp(-$0)) }
    }

    // MARK: - Drivers

    /// Applies `vector` to 8 lanes at a time and `scalar` to the tail; threads over big buffers.
    @inline(__always)
    static func unary(_ x: UnsafeMutablePointer<Float>, _ count: Int, vector: (F8) -> F8, scalar: (Float) -> Float) {
        Parallel.forEach(range: (count + 1023) / 1024, costPerItem: 600) { blocks in
            let start = blocks.lowerBound * 1024
            let end = min(count, blocks.upperBound * 1024)
            var i = start
            while i + 8 <= end {
                let raw = UnsafeMutableRawPointer(x + i)
                raw.storeBytes(of: vector(raw.loadUnaligned(as: F8.self)), as: F8.self)
                i += 8
            }
            while i < end { x[i] = scalar(x[i]); i += 1 }
        }
    }

    @inline(__always)
    static func binary(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                       _ count: Int, vector: (F8, F8) -> F8, scalar: (Float, Float) -> Float) {
        Parallel.forEach(range: (count + 4095) / 4096, costPerItem: 1000) { blocks in
            let start = blocks.lowerBound * 4096
            let end = min(count, blocks.upperBound * 4096)
            var i = start
            while i + 8 <= end {
                let va = UnsafeRawPointer(a + i).loadUnaligned(as: F8.self)
                let vb = UnsafeRawPointer(b + i).loadUnaligned(as: F8.self)
                UnsafeMutableRawPointer(out + i).storeBytes(of: vector(va, vb), as: F8.self)
                i += 8
            }
            while i < end { out[i] = scalar(a[i], b[i]); i += 1 }
        }
    }
}
