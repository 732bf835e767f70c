import Foundation
import Tensors

/// Deterministic synthetic engagement records for benchmarks, shaped like the FANG social context:
/// both users and articles have power-law popularity (index = ⌊count · r²⌋ for r uniform in [0, 1)),
/// so most users repost once, about 2 % reach 5 records, and a few very active users and very popular
/// articles make the graph's product work heavy-tailed.
public enum SyntheticEngagements {
    /// `engagements` records over `articles` news and `users` users, from `seed` (SplitMix64).
    public static func generate(articles: Int, engagements: Int, users: Int, seed: UInt64 = 1) -> EngagementRecords {
        precondition(articles > 0 && users > 0 && engagements >= 0, "empty synthetic shape")
        var rng = SplitMix64(seed: seed)
        @inline(__always) func skewed(_ count: Int) -> Int32 {
            let r = rng.nextUnit()
            return Int32(min(count - 1, Int(Double(count) * r * r)))
        }
        var news = [Int32](repeating: 0, count: engagements)
        var user = [Int32](repeating: 0, count: engagements)
        for i in 0..<engagements {
            news[i] = skewed(articles)
            user[i] = skewed(users)
        }
        return EngagementRecords(newsIndex: news, userIndex: user, newsCount: articles, userCount: users)
    }
}

extension NewsGraph {
    /// Builds the graph of records whose news ids are the node indices 0..<nodeCount (as made by
    /// `SyntheticEngagements` or any pre-interned source); the same construction as `build`.
    public static func build(nodeCount: Int, interned records: EngagementRecords, minUserRecords: Int = 5) throws -> NewsGraph {
        guard minUserRecords >= 1 else {
            throw PromptAlignError.invalidParameter(name: "min-user-records", value: String(minUserRecords),
                                                    expected: "an integer ≥ 1")
        }
        let newsNode = (0..<records.newsCount).map { $0 < nodeCount ? Int32($0) : -1 }
        return buildFromIndices(nodeCount: nodeCount, newsNode: newsNode, userCount: records.userCount,
                                records: records, minUserRecords: minUserRecords)
    }
}
