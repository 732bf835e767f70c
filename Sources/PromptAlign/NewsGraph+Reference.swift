import Foundation

extension NewsGraph {
    /// The graph construction written the plain way, with dense B and dense BᵀB: the reference the fast
    /// sparse `build` is tested against (small inputs only: O(users·N + N²) memory). Returns the dense
    /// row-major A_T. // [N, N]
    public static func denseReference(articles: [String], records: EngagementRecords,
                                      minUserRecords: Int = 5) -> [Float] {
        let n = articles.count
        let node = Dictionary(articles.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let pairs: [(user: Int, node: Int)] = (0..<records.count).compactMap { r in
            guard let m = node[records.newsIds[Int(records.newsIndex[r])]] else { return nil }
            return (Int(records.userIndex[r]), m)
        }
        var perUser = [Int: Int]()
        for p in pairs { perUser[p.user, default: 0] += 1 }
        let active = perUser.filter { $0.value >= minUserRecords }.keys.sorted()
        let row = Dictionary(uniqueKeysWithValues: active.enumerated().map { ($1, $0) })
        var b = [[Double]](repeating: [Double](repeating: 0, count: n), count: active.count) // [U, N]
        for p in pairs { if let k = row[p.user] { b[k][p.node] += 1 } }
        for m in 0..<n where !b.contains(where: { $0[m] > 0 }) {
            var dummy = [Double](repeating: 0, count: n)
            dummy[m] = 1
            b.append(dummy)
        }
        var a = [Double](repeating: 0, count: n * n) // [N, N] = BᵀB
        for user in b {
            for i in 0..<n where user[i] != 0 {
                for j in 0..<n where user[j] != 0 { a[i * n + j] += user[i] * user[j] }
            }
        }
        let d: [Float] = (0..<n).map { i in
            let deg = (0..<n).reduce(0.0) { $0 + a[i * n + $1] }
            let s = Foundation.pow(deg, -0.5)
            return s.isFinite ? Float(s) : 0
        }
        var out = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n where a[i * n + j] != 0 { out[i * n + j] = (Float(a[i * n + j]) * d[j]) * d[i] }
        }
        return out
    }
}
