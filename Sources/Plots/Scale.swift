import Foundation

/// A mapping from data values to pixels along one axis, with tick positions at round numbers.
public struct Scale: Sendable {
    public enum Kind: Sendable { case linear, log2 }
    public var kind: Kind
    /// Data range shown (after rounding out to ticks for linear scales).
    public private(set) var lo: Double
    public private(set) var hi: Double
    /// Pixel range: `lo` maps to `from`, `hi` to `to`.
    public var from: Double
    public var to: Double

    /// A scale covering every finite value of `values`; linear scales round out to the tick step so the data
    /// is never clipped. Empty or constant data gets a small range around it.
    public init(covering values: [Double], kind: Kind = .linear, from: Double = 0, to: Double = 1) {
        self.kind = kind
        self.from = from
        self.to = to
        var v = values.filter { $0.isFinite }
        if kind == .log2 { v = v.filter { $0 > 0 } }
        var a = v.min() ?? 0, b = v.max() ?? 1
        if kind == .log2 {
            // No positive value: an arbitrary octave, so the mapping and the ticks stay finite.
            if v.isEmpty { a = 1; b = 2 }
            lo = a; hi = b == a ? a * 2 : b
            return
        }
        if a == b { let pad = a == 0 ? 1 : abs(a) * 0.05; a -= pad; b += pad }
        let step = Self.niceStep((b - a) / 4)
        lo = (a / step).rounded(.down) * step
        hi = (b / step).rounded(.up) * step
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    public static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let p = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * p >= raw * 0.999 { return m * p }
        return 10 * p
    }

    /// Pixel position of `v`.
    public func map(_ v: Double) -> Double {
        let t: Double
        switch kind {
        case .linear: t = (v - lo) / (hi - lo)
        case .log2: t = hi > lo ? (Foundation.log2(v) - Foundation.log2(lo)) / (Foundation.log2(hi) - Foundation.log2(lo)) : 0.5
        }
        return from + t * (to - from)
    }

    /// Round values from `lo` to `hi` (linear), or the powers of two in range (log2).
    public func ticks() -> [Double] {
        switch kind {
        case .linear:
            let step = Self.niceStep((hi - lo) / 4)
            // A span the step cannot resolve (infinite, or values near 1e20 apart by little) gets its ends only.
            guard (hi - lo) / step <= 100, abs(lo / step) < 1e15 else { return [lo, hi] }
            var out: [Double] = [], k = (lo / step - 1e-9).rounded(.up)
            while k * step <= hi + step * 1e-9 { out.append(k * step); k += 1 }
            return out
        case .log2:
            var out: [Double] = [], p = pow(2, Foundation.log2(lo).rounded(.up))
            while p <= hi * (1 + 1e-9) && p.isFinite && out.count < 64 { out.append(p); p *= 2 }
            return out
        }
    }

    /// A tick label with as many decimals as the tick step needs.
    public func label(_ v: Double) -> String {
        if v.rounded() == v && abs(v) < 1e15 { return String(Int(v)) }
        if kind == .log2 || !v.isFinite { return String(format: "%g", v) }
        let step = Self.niceStep((hi - lo) / 4)
        let decimals = max(0, min(6, Int((-log10(step)).rounded(.up))))
        return String(format: "%.\(decimals)f", v)
    }
}
