import Foundation

/// numpy-compatible percentiles.
public enum Percentile {
    /// `numpy.percentile(values, q)` with the default `method='linear'`, bit for bit: the virtual index
    /// is (n − 1) · (q / 100) in `Double`; between the neighbouring sorted values a and b at fraction t it
    /// returns `a + (b − a)·t` when t < 0.5 and `b − (b − a)·(1 − t)` otherwise (numpy's `_lerp`), and the
    /// largest value when the index reaches n − 1. `values` must be non-empty and `q` in 0...100.
    public static func linear(_ values: [Double], _ q: Double) -> Double {
        precondition(!values.isEmpty, "percentile of no values")
        precondition(q >= 0 && q <= 100, "percentile outside 0...100")
        let sorted = values.sorted()
        let n = sorted.count
        let virtualIndex = Double(n - 1) * (q / 100)
        if virtualIndex >= Double(n - 1) { return sorted[n - 1] }
        let below = virtualIndex.rounded(.down)
        let t = virtualIndex - below
        let a = sorted[Int(below)], b = sorted[Int(below) + 1]
        let diff = b - a
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
    }
}
