import Foundation

/// Vectorised elementwise and row kernels on raw F32 buffers. Each has a scalar twin in
/// `Kernels.…Reference` (computed in Double) that the tests hold it to. Output pointers may alias inputs.
public enum Kernels {
    /// out[i] = a[i] + b[i].
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                           count: Int) {
        binary(a, b, out, count, Sum())
    }

    /// out[i] = a[i] · b[i].
    public static func mul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                           count: Int) {
        binary(a, b, out, count, Product())
    }

    /// x[i] *= s.
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by s: Float) {
        unary(x, count, Scale(factor: s))
    }

    /// y[i] += α · x[i].
    public static func addScaled(_ x: UnsafePointer<Float>, alpha: Float, to y: UnsafeMutablePointer<Float>,
                                 count: Int) {
        binary(UnsafePointer(y), x, y, count, ScaledSum(alpha: alpha))
    }

    /// x[r, c] += v[c] for every row of x `// [rows, cols]` (bias over a batch).
    public static func addRow(_ v: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows { add(x + r * cols, v, x + r * cols, count: cols) }
    }

    /// x[i] = e^x[i].
    public static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) {
        unary(x, count, Exp())
    }

    /// x[i] = e^x[i] for x[i] ≤ 0 (−∞ → 0) as the fused attention's softmax computes it: relative error
    /// below 2e-7, about 1.6× the speed of `exp`. Positive inputs are outside its contract.
    public static func expNonPositive(_ x: UnsafeMutablePointer<Float>, count: Int) {
        unary(x, count, ExpNonPositive())
    }

    /// x[i] = GELU(x[i]) = x·Φ(x) with the exact erf form (as torch `gelu`, approximate='none').
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        unary(x, count, GeluErf())
    }

    /// x[i] = ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (torch approximate='tanh'), as x·σ(2u) to avoid cancellation.
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        unary(x, count, GeluTanh())
    }

    /// x[i] = x·σ(x) (SiLU / swish).
    public static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        unary(x, count, SiLU())
    }

    // MARK: - Operations

    // Each operation is a type, so the drivers below are specialised per operation and its vector body
    // inlines into their loops. (As closures they stayed an indirect call per 8 lanes, with the vector
    // split across two xmm registers at each call: exp ran at 0.68 ns per element that way, 0.36–0.51 inlined.)

    struct Sum: BinaryOperation {
        @inline(__always) func vector(_ a: F8, _ b: F8) -> F8 { a + b }
        @inline(__always) func scalar(_ a: Float, _ b: Float) -> Float { a + b }
    }

    struct Product: BinaryOperation {
        @inline(__always) func vector(_ a: F8, _ b: F8) -> F8 { a * b }
        @inline(__always) func scalar(_ a: Float, _ b: Float) -> Float { a * b }
    }

    struct ScaledSum: BinaryOperation {
        let alpha: Float
        @inline(__always) func vector(_ y: F8, _ x: F8) -> F8 { y.addingProduct(splat(alpha), x) }
        @inline(__always) func scalar(_ y: Float, _ x: Float) -> Float { y + alpha * x }
    }

    struct Scale: UnaryOperation {
        let factor: Float
        var nanosecondsPerElement: Double { 0.1 }
        @inline(__always) func vector(_ x: F8) -> F8 { x * splat(factor) }
        @inline(__always) func scalar(_ x: Float) -> Float { x * factor }
    }

    struct Exp: UnaryOperation {
        var nanosecondsPerElement: Double { 0.4 }
        @inline(__always) func vector(_ x: F8) -> F8 { vexp(x) }
        @inline(__always) func scalar(_ x: Float) -> Float { Foundation.exp(x) }
    }

    struct ExpNonPositive: UnaryOperation {
        var nanosecondsPerElement: Double { 0.25 }
        @inline(__always) func vector(_ x: F8) -> F8 { vexpNonPositive(x) }
        @inline(__always) func scalar(_ x: Float) -> Float { vexpNonPositive(F8(repeating: x))[0] }
    }

    struct GeluErf: UnaryOperation {
        var nanosecondsPerElement: Double { 1.0 }
        @inline(__always) func vector(_ x: F8) -> F8 { vgeluErf(x) }
        @inline(__always) func scalar(_ x: Float) -> Float { vgeluErf(F8(repeating: x))[0] }
    }

    struct GeluTanh: UnaryOperation {
        var nanosecondsPerElement: Double { 0.6 }
        // 2u = x·(c1 + c2·x²) with c1 = 2√(2/π), c2 = 0.044715·c1: three roundings, since e^(−2u)
        // magnifies the error of u by |2u| on the negative side.
        @inline(__always) func vector(_ v: F8) -> F8 {
            let twoU = v * splat(1.595_769_121_605_730_7).addingProduct(splat(0.071_354_816_272_737_1), v * v)
            return v * vsigmoid(twoU)
        }
        @inline(__always) func scalar(_ v: Float) -> Float {
            let twoU = v * (1.595_769_121_605_730_7 + 0.071_354_816_272_737_1 * v * v)
            return v / (1 + Foundation.exp(-twoU))
        }
    }

    struct SiLU: UnaryOperation {
        var nanosecondsPerElement: Double { 0.5 }
        @inline(__always) func vector(_ x: F8) -> F8 { x * vsigmoid(x) }
        @inline(__always) func scalar(_ x: Float) -> Float { x / (1 + Foundation.exp(-x)) }
    }

    // MARK: - Drivers

    /// Applies `op` to 8 lanes at a time and to the tail one by one; threads over big buffers.
    @inline(__always)
    static func unary<Op: UnaryOperation>(_ x: UnsafeMutablePointer<Float>, _ count: Int, _ op: Op) {
        // Half the usual least work per thread: contiguous ranges with no shared state split cheaply, and an FFN's
        // activation (e.g. 128 × 1280 values, ~0.15 ms) would otherwise stay on one thread.
        Parallel.forEach(range: (count + 1023) / 1024, costPerItem: 1024 * op.nanosecondsPerElement,
                         perThread: Parallel.minimumWorkPerThread / 2) { blocks in
            let start = blocks.lowerBound * 1024
            let end = min(count, blocks.upperBound * 1024)
            var i = start
            while i + 8 <= end {
                let raw = UnsafeMutableRawPointer(x + i)
                raw.storeBytes(of: op.vector(raw.loadUnaligned(as: F8.self)), as: F8.self)
                i += 8
            }
            while i < end { x[i] = op.scalar(x[i]); i += 1 }
        }
    }

    @inline(__always)
    static func binary<Op: BinaryOperation>(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                            _ out: UnsafeMutablePointer<Float>, _ count: Int, _ op: Op) {
        Parallel.forEach(range: (count + 4095) / 4096, costPerItem: 1000) { blocks in
            let start = blocks.lowerBound * 4096
            let end = min(count, blocks.upperBound * 4096)
            var i = start
            while i + 8 <= end {
                let va = UnsafeRawPointer(a + i).loadUnaligned(as: F8.self)
                let vb = UnsafeRawPointer(b + i).loadUnaligned(as: F8.self)
                UnsafeMutableRawPointer(out + i).storeBytes(of: op.vector(va, vb), as: F8.self)
                i += 8
            }
            while i < end { out[i] = op.scalar(a[i], b[i]); i += 1 }
        }
    }
}

/// An elementwise function of one value: on 8 lanes, on one value (the tail), and its rough single-thread
/// cost (how `Parallel` decides whether a buffer is worth splitting).
protocol UnaryOperation {
    var nanosecondsPerElement: Double { get }
    func vector(_ x: F8) -> F8
    func scalar(_ x: Float) -> Float
}

/// An elementwise function of two values, on 8 lanes and on one pair.
protocol BinaryOperation {
    func vector(_ a: F8, _ b: F8) -> F8
    func scalar(_ a: Float, _ b: Float) -> Float
}
