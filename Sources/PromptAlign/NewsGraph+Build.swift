import Foundation

extension NewsGraph {
    /// Builds the graph exactly as the authors' `Process/adj_matrix_fewshot.py` does:
    /// - only records whose news id is one of `articles` count (the others are reported, not used);
    /// - users with at least `minUserRecords` such records are active (records are counted, so repeated
    ///   reposts of one article count each time);
    /// - every article with no active-user record gets its own dummy user with one record;
    /// - B[k, m] = number of records of user k on article m; A = BᵀB (self-loops included);
    /// - A_T[i, j] = (A[i, j] · d_j) · d_i in `Float`, d = Float(deg^-½) with the degree (row sum of A)
    ///   raised in `Double`, zero degrees giving 0. This order of roundings reproduces the authors'
    ///   shipped float32 graphs bit for bit.
    ///
    /// Node i is `articles[i]`. Work and memory are proportional to the records and to Σ_k |B[k]|²,
    /// never to N².
    public static func build(articles: [String], records: EngagementRecords,
                             minUserRecords: Int = 5) throws -> NewsGraph {
        guard minUserRecords >= 1 else {
            throw PromptAlignError.invalidParameter(name: "min-user-records", value: String(minUserRecords),
                                                    expected: "an integer ≥ 1")
        }
        guard records.hasIds else {
            throw PromptAlignError.mismatch(what: "engagement records", expected: "records with news ids",
                                            found: "pre-interned records (use build(nodeCount:interned:))")
        }
        var nodeOf = [String: Int32](minimumCapacity: articles.count)
        for (i, id) in articles.enumerated() {
            if nodeOf.updateValue(Int32(i), forKey: id) != nil {
                throw PromptAlignError.mismatch(what: "article ids", expected: "distinct ids",
                                                found: "'\(id)' twice (row \(i + 1))")
            }
        }
        let newsNode = records.newsIds.map { nodeOf[$0] ?? -1 }
        return buildFromIndices(nodeCount: articles.count, newsNode: newsNode,
                                userCount: records.userCount, records: records,
                                minUserRecords: minUserRecords)
    }

    /// The construction on interned indices: `newsNode[records.newsIndex[r]]` is the node of record r,
    /// or -1 when its news is not an article.
    static func buildFromIndices(nodeCount n: Int, newsNode: [Int32], userCount: Int,
                                 records: EngagementRecords, minUserRecords: Int) -> NewsGraph {
        // Records per user, over matched records only (the authors count `uid` of records in news_id).
        var perUser = [Int32](repeating: 0, count: userCount)
        var matched = 0
        for r in 0..<records.count where newsNode[Int(records.newsIndex[r])] >= 0 {
            perUser[Int(records.userIndex[r])] += 1
            matched += 1
        }
        var activeRow = [Int32](repeating: -1, count: userCount) // user → row of B, or -1
        var active = 0
        var distinct = 0
        for u in 0..<userCount where perUser[u] > 0 {
            distinct += 1
            if perUser[u] >= minUserRecords { activeRow[u] = Int32(active); active += 1 }
        }
        // Rows of B for active users by counting sort, then one dummy row per uncovered article.
        var rowStart = [Int](repeating: 0, count: active + 1)
        for u in 0..<userCount where activeRow[u] >= 0 { rowStart[Int(activeRow[u]) + 1] = Int(perUser[u]) }
        for k in 0..<active { rowStart[k + 1] += rowStart[k] }
        var nodes = [Int32](repeating: 0, count: rowStart[active])
        var fill = rowStart
        var covered = [Bool](repeating: false, count: n)
        for r in 0..<records.count {
            let m = newsNode[Int(records.newsIndex[r])]
            let k = activeRow[Int(records.userIndex[r])]
            guard m >= 0, k >= 0 else { continue }
            nodes[fill[Int(k)]] = m
            fill[Int(k)] += 1
            covered[Int(m)] = true
        }
        let userRows = SparseCounts.rows(rowStart: rowStart, items: nodes)
        let dummies = covered.lazy.filter { !$0 }.count
        let b = userRows.appendingSingletons(for: (0..<n).filter { !covered[$0] })
        let construction = NewsGraphStatistics.Construction(
            records: records.count, matchedRecords: matched, distinctUsers: distinct,
            activeUsers: active, dummyUsers: dummies, minUserRecords: minUserRecords)
        return NewsGraph(adjacency: NormalisedGram.compute(b, nodeCount: n), construction: construction,
                         symmetricPattern: true)
    }
}

