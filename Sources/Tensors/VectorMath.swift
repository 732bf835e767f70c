// Vector transcendental functions on SIMD8<Float> built from FMAs, bit tricks and comparisons only,
// so they inline into the kernel loops (library expf/erff are scalar calls).

typealias F8 = SIMD8<Float>
typealias U8x8 = SIMD8<UInt32>

@inline(__always) func splat(_ v: Float) -> F8 { F8(repeating: v) }

@inline(__always) func bits(_ v: F8) -> U8x8 { unsafeBitCast(v, to: U8x8.self) }
@inline(__always) func floats(_ v: U8x8) -> F8 { unsafeBitCast(v, to: F8.self) }

/// Lane-wise minimum/maximum through a compare and blend (maps to vminps/vmaxps-style code).
@inline(__always) func vmin(_ a: F8, _ b: F8) -> F8 { a.replacing(with: b, where: b .< a) }
@inline(__always) func vmax(_ a: F8, _ b: F8) -> F8 { a.replacing(with: b, where: b .> a) }

/// e^x with ~2 ulp error on [-87.3, 88.37]; 0 below, e^88.37 above (callers never go there).
/// Transparent: with `@inline(__always)` the optimiser still left it a call inside the attention softmax
/// (3.5 % of an ESM-2 35M forward at length 512 went to the calls).
@_transparent
func vexp(_ x: F8) -> F8 {
    let hi = splat(88.37626)
    let lo = splat(-87.33654)
    let xc = vmax(vmin(x, hi), lo)
    // n = round(x / ln 2) by the 1.5·2^23 trick: its low mantissa bits then hold n.
    let magic = splat(12_582_912)
    let tn = (xc * splat(1.442_695_04)) + magic
    let n = tn - magic
    // r = x - n·ln2 in two parts for accuracy.
    var r = xc.addingProduct(n, splat(-0.693_359_375))
    r = r.addingProduct(n, splat(2.121_944_4e-4))
    var p = splat(1.987_569_15e-4)
    p = splat(1.398_199_95e-3).addingProduct(p, r)
    p = splat(8.333_451_9e-3).addingProduct(p, r)
    p = splat(4.166_579_59e-2).addingProduct(p, r)
    p = splat(1.666_666_55e-1).addingProduct(p, r)
    p = splat(5.000_000_12e-1).addingProduct(p, r)
    let r2 = r * r
    let y = (r + splat(1)).addingProduct(p, r2)
    // 2^n: (bits(tn) + 127) << 23 — the magic's own bits shift out past bit 31.
    let pow2n = floats((bits(tn) &+ U8x8(repeating: 127)) &<< U8x8(repeating: 23))
    let result = y * pow2n
    return result.replacing(with: 0, where: x .< lo)
}

/// e^x for x ≤ 0 — a softmax numerator, score − row max — with −∞ giving 0 and a relative error below
/// 2e-7 (`vexp`: 1.2e-7). Cheaper than `vexp`: the polynomial for e^r on [−ln2/2, ln2/2] is a degree-5
/// relative-minimax fit with p(0) = 1 exactly, and 2^n is added into the exponent bits rather than built
/// and multiplied, which leaves 8 multiplies/FMAs against `vexp`'s 12 (the softmax step, exponentials and
/// row maxima, was a third of the fused attention's time at head dim 32). For x < −87.34 the result is 0.
@_transparent
func vexpNonPositive(_ x: F8) -> F8 {
    let lo = splat(-87.33654)
    let xc = vmax(x, lo)
    // n = round(x / ln 2) by the 1.5·2^23 trick: the low mantissa bits of tn then hold n.
    let magic = splat(12_582_912)
    let tn = magic.addingProduct(xc, splat(1.442_695_04))
    let n = tn - magic
    // r = x − n·ln2 in two parts, |r| ≤ ln2/2 (+ a rounding).
    var r = xc.addingProduct(n, splat(-0.693_359_375))
    r = r.addingProduct(n, splat(2.121_944_4e-4))
    var p = splat(0.008_290_303)
    p = splat(0.041_897_923).addingProduct(p, r)
    p = splat(0.166_676_36).addingProduct(p, r)
    p = splat(0.499_991_5).addingProduct(p, r)
    p = splat(0.999_999_7).addingProduct(p, r)
    p = splat(1).addingProduct(p, r)
    // × 2^n: n (two's complement in tn's low bits) shifted into the exponent field; p ≥ 1 whenever n = −126,
    // so the exponent never leaves the normal range.
    let result = floats(bits(p) &+ (bits(tn) &<< U8x8(repeating: 23)))
    return result.replacing(with: 0, where: x .< lo)
}

/// 1 / (1 + e^-x), accurate in relative terms over the whole range.
@inline(__always)
func vsigmoid(_ x: F8) -> F8 {
    splat(1) / (splat(1) + vexp(-x))
}

/// Φ(x)-based GELU: x · Φ(x), Φ from `vnormalCDFAndDensity`.
@inline(__always)
func vgeluErf(_ x: F8) -> F8 { x * vnormalCDFAndDensity(x).cdf }

/// Φ(x) and φ(x) of the standard normal: Φ = 1 − ½·erfc(x/√2) with erfc from Abramowitz–Stegun 7.1.26
/// (|error| < 1.5e-7), evaluated so negative inputs need no cancellation; φ reuses its e^(−x²/2), so
/// GELU′ = Φ + x·φ (training) costs no second exponential.
@inline(__always)
func vnormalCDFAndDensity(_ x: F8) -> (cdf: F8, density: F8) {
    let z = x * splat(0.707_106_781_186_547_5)
    let az = floats(bits(z) & U8x8(repeating: 0x7FFF_FFFF))
    let t = splat(1) / splat(1).addingProduct(splat(0.327_591_1), az)
    var p = splat(1.061_405_429)
    p = splat(-1.453_152_027).addingProduct(p, t)
    p = splat(1.421_413_741).addingProduct(p, t)
    p = splat(-0.284_496_736).addingProduct(p, t)
    p = splat(0.254_829_592).addingProduct(p, t)
    p = p * t
    let e = vexp(-(az * az))   // e^(−x²/2)
    let q = splat(0.5) * p * e   // ½·erfc(|z|)
    return ((splat(1) - q).replacing(with: q, where: x .< 0), e * splat(0.398_942_280_401_432_7))
}

/// Horizontal sum of the lanes.
@inline(__always)
func hsum(_ v: F8) -> Float {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    return b[0] + b[1]
}

/// Horizontal maximum of the lanes.
@inline(__always)
func hmax(_ v: F8) -> Float {
    var m = v[0]
    for i in 1..<8 where v[i] > m { m = v[i] }
    return m
}
