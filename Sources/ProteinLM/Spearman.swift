import Foundation

/// Rank correlation as scipy.stats.spearmanr computes it: Pearson correlation of average ranks (ties share
/// the mean of their positions). Pairs where either value is NaN are left out.
public enum Spearman {
    /// Average 1-based ranks.
    public static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let avg = Double(i + j) / 2 + 1
            for k in i...j { r[order[k]] = avg }
            i = j + 1
        }
        return r
    }

    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            sab += (a[i] - ma) * (b[i] - mb)
            saa += (a[i] - ma) * (a[i] - ma)
            sbb += (b[i] - mb) * (b[i] - mb)
        }
        return sab / (saa * sbb).squareRoot()
    }

    /// ρ, or nil with fewer than two usable pairs or a constant column.
    public static func correlation(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count)
        let keep = x.indices.filter { !x[$0].isNaN && !y[$0].isNaN }
        guard keep.count >= 2 else { return nil }
        let r = pearson(ranks(keep.map { x[$0] }), ranks(keep.map { y[$0] }))
        return r.isNaN ? nil : r
    }
}
