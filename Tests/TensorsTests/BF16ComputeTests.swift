import Tensors
import XCTest

/// `linear` with BF16 weights on the AVX512_BF16 kernel (weights packed in k-pairs, activations rounded to
/// bfloat16, F32 sums) against a naive reference that rounds the activations the same way, and against
/// F32. The AVX2 fallback (weights widened to F32) is covered wherever `onEveryKernel` runs.
final class BF16ComputeTests: XCTestCase {
    /// Runs `body` with weights packed for the AVX512_BF16 kernel; skips (saying so) without the CPU flag.
    func onBF16Kernel(_ body: () throws -> Void) throws {
        guard CPU.hasAVX512BF16 else {
            throw XCTSkip("this CPU lacks avx512_bf16: the AVX512_BF16 kernel is not tested here")
        }
        let saved = CPU.useAVX512, savedBF16 = CPU.useAVX512BF16
        defer { CPU.useAVX512 = saved; CPU.useAVX512BF16 = savedBF16 }
        CPU.useAVX512 = true
        CPU.useAVX512BF16 = true
        try body()
    }

    func testKernelMatchesRoundedNaiveAndF32() throws {
        try onBF16Kernel {
            var rng = TestRandom(seed: 21)
            var worstRounded: Float = 0, worstF32: Float = 0, worstAbs: Float = 0
            // Odd K, K across several 256-k blocks, N not a multiple of 16 or 48, 1…8+ rows.
            for (m, n, k) in [(1, 7, 33), (1, 1000, 65), (2, 48, 256), (3, 50, 257), (7, 33, 600), (8, 96, 1),
                              (13, 100, 513), (65, 257, 31), (130, 64, 300)] {
                let x = rng.floats(m * k), w = rng.floats(n * k), bias = rng.floats(n)
                for withBias in [true, false] {
                    let packed = PackedWeights(w, outFeatures: n, inFeatures: k, storage: .bf16)
                    XCTAssertTrue(packed.bf16Pairs)
                    let wSeen = packed.unpacked().data
                    XCTAssertEqual(wSeen, w.map { BFloat16.float(fromBits: BFloat16.bits(from: $0)) })
                    let b = withBias ? bias : nil
                    var out = [Float](repeating: .nan, count: m * n), rounded = out, exact = out, scale = out
                    linear(x, rows: m, weights: packed, bias: b, out: &out)
                    linearBF16Naive(x, rows: m, weights: wSeen, outFeatures: n, inFeatures: k, bias: b, out: &rounded)
                    linearNaive(x, rows: m, weights: wSeen, outFeatures: n, inFeatures: k, bias: b, out: &exact)
                    linearNaive(x.map(abs), rows: m, weights: wSeen.map(abs), outFeatures: n, inFeatures: k,
                                bias: b?.map(abs), out: &scale)
                    for i in out.indices {
                        worstRounded = max(worstRounded, abs(out[i] - rounded[i]) / (scale[i] + 1e-30))
                        worstF32 = max(worstF32, abs(out[i] - exact[i]) / (scale[i] + 1e-30))
                        worstAbs = max(worstAbs, abs(out[i] - rounded[i]))
                    }
                }
            }
            print("AVX512_BF16 linear vs naive with bf16 activations: max abs diff \(worstAbs), "
                + "max error relative to Σ|x||w| \(worstRounded); vs F32 activations: \(worstF32)")
            XCTAssertLessThanOrEqual(worstRounded, 1e-6)
            // Rounding x to 8 significant bits errs by ≤ 2^-8 relative per product (2^-9 is typical).
            XCTAssertLessThanOrEqual(worstF32, 1.0 / 256)
            XCTAssertGreaterThan(worstF32, 1e-5, "activations were not rounded to bfloat16")
        }
    }

    /// Activations are rounded to nearest, ties to even, as `BFloat16.bits(from:)` (W = identity, so each
    /// output is one rounded activation exactly).
    func testActivationRoundingMatchesBFloat16() throws {
        try onBF16Kernel {
            var values: [Float] = [1, -1, 0, -0.0, 3.14159, 1e30, -1e-30, 65504, 1.0 / 3]
            // Ties (exactly half an ulp of bfloat16) in both directions, and carries into the exponent.
            for bits: UInt32 in [0x3F80_8000, 0x3F81_8000, 0xBF80_8000, 0x3FFF_8000, 0x3F80_7FFF, 0x3F80_8001] {
                values.append(Float(bitPattern: bits))
            }
            var rng = TestRandom(seed: 5)
            while values.count < 37 { values.append(rng.float(-100, 100)) }
            let k = values.count
            var identity = [Float](repeating: 0, count: k * k)
            for i in 0..<k { identity[i * k + i] = 1 }
            let packed = PackedWeights(identity, outFeatures: k, inFeatures: k, storage: .bf16)
            var out = [Float](repeating: .nan, count: k)
            linear(values, rows: 1, weights: packed, bias: nil, out: &out)
            let expected = values.map { BFloat16.float(fromBits: BFloat16.bits(from: $0)) }
            XCTAssertEqual(out.map(\.bitPattern), expected.map { ($0 == 0 ? Float(0) : $0).bitPattern })
        }
    }

    /// A row's outputs have the same bits alone (batch-1 decoding), among a few rows or many, at any
    /// thread count.
    func testRowsDoNotDependOnRowOrThreadCount() throws {
        try onBF16Kernel {
            let k = 700, n = 150, big = 41
            var rng = TestRandom(seed: 9)
            let x = rng.floats(big * k), w = rng.floats(n * k), bias = rng.floats(n)
            let packed = PackedWeights(w, outFeatures: n, inFeatures: k, storage: .bf16)
            let saved = Parallel.threadCount
            defer { Parallel.threadCount = saved }
            var whole = [Float](repeating: 0, count: big * n)
            linear(x, rows: big, weights: packed, bias: bias, out: &whole)
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                assertRowSlices(of: whole, n: n, [(0, 1), (11, 1), (3, 3), (20, 9), (0, big)], "\(threads) threads") {
                    first, count, part in
                    x.withUnsafeBufferPointer { xp in
                        linear(xp.baseAddress! + first * k, rows: count, weights: packed, bias: bias, out: &part)
                    }
                }
            }
        }
    }

    /// With `useAVX512BF16` off (as `TRELLIS_NO_AVX512_BF16=1` or `TRELLIS_NO_AVX512=1` set it), BF16 weights
    /// keep the widening layout and activations stay F32.
    func testForcingVariableSelectsTheFallback() {
        let saved = CPU.useAVX512BF16
        defer { CPU.useAVX512BF16 = saved }
        CPU.useAVX512BF16 = false
        var rng = TestRandom(seed: 2)
        let m = 3, n = 20, k = 40
        let x = rng.floats(m * k), w = rng.floats(n * k)
        let packed = PackedWeights(w, outFeatures: n, inFeatures: k, storage: .bf16)
        XCTAssertFalse(packed.bf16Pairs)
        var out = [Float](repeating: 0, count: m * n), ref = out
        linear(x, rows: m, weights: packed, bias: nil, out: &out)
        linearNaive(x, rows: m, weights: packed.unpacked().data, outFeatures: n, inFeatures: k, bias: nil, out: &ref)
        let d = zip(out, ref).map { abs($0 - $1) }.max() ?? 0
        print("BF16 widening fallback vs naive (F32 activations): max abs diff \(d)")
        XCTAssertLessThanOrEqual(d, 1e-5)
    }
}
