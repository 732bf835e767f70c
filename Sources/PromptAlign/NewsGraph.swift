import Foundation
import Formats

/// The news proximity graph of Prompt-and-Align: the symmetric-normalised adjacency
/// A_T = D^-½ (BᵀB) D^-½ over articles, nodes in article order (train articles, then test articles).
public struct NewsGraph: Sendable {
    /// A_T as a sparse N×N matrix (self-loops included).
    public let adjacency: SparseMatrix
    /// Figures describing the graph and, when it was built from records, its construction.
    public let statistics: NewsGraphStatistics

    /// Number of nodes (articles).
    public var nodeCount: Int { adjacency.rows }

    /// Wraps an adjacency matrix and computes its statistics; `construction` carries the user counts
    /// when the graph was built from engagement records.
    public init(adjacency: SparseMatrix, construction: NewsGraphStatistics.Construction? = nil) {
        self.init(adjacency: adjacency, construction: construction, symmetricPattern: false)
    }

    /// `symmetricPattern`: the caller guarantees a[i, j] > 0 exactly when a[j, i] > 0 (true of BᵀB),
    /// which lets the statistics skip the unordered-pair check.
    init(adjacency: SparseMatrix, construction: NewsGraphStatistics.Construction?, symmetricPattern: Bool) {
        precondition(adjacency.rows == adjacency.columns, "adjacency must be square")
        self.adjacency = adjacency
        self.statistics = NewsGraphStatistics(adjacency: adjacency, construction: construction,
                                              symmetricPattern: symmetricPattern)
    }
}

/// Statistics of a news graph. Edges are unordered pairs i ≠ j with a positive weight; an isolated node
/// has no neighbour other than itself.
public struct NewsGraphStatistics: Codable, Equatable, Sendable {
    /// How the graph was built from engagement records.
    public struct Construction: Codable, Equatable, Sendable {
        /// Records read.
        public var records: Int
        /// Records whose news id is one of the articles (only these count and only these make edges).
        public var matchedRecords: Int
        /// Distinct users among the matched records.
        public var distinctUsers: Int
        /// Users with at least `minUserRecords` matched records.
        public var activeUsers: Int
        /// Articles with no active-user record, each given its own dummy user.
        public var dummyUsers: Int
        /// The activity threshold t_u.
        public var minUserRecords: Int

        public init(records: Int, matchedRecords: Int, distinctUsers: Int, activeUsers: Int, dummyUsers: Int,
                    minUserRecords: Int) {
            self.records = records
            self.matchedRecords = matchedRecords
            self.distinctUsers = distinctUsers
            self.activeUsers = activeUsers
            self.dummyUsers = dummyUsers
            self.minUserRecords = minUserRecords
        }

        enum CodingKeys: String, CodingKey {
            case records, matchedRecords = "matched_records", distinctUsers = "distinct_users"
            case activeUsers = "active_users", dummyUsers = "dummy_users", minUserRecords = "min_user_records"
        }
    }

    /// Number of nodes.
    public var nodes: Int
    /// Unordered pairs i ≠ j with a positive weight.
    public var edges: Int
    /// Nodes with no positive-weight neighbour other than themselves.
    public var isolatedNodes: Int
    /// Stored entries of A_T, diagonal included.
    public var storedEntries: Int
    /// Sum of the diagonal of A_T.
    public var trace: Double
    /// Sum of all entries of A_T.
    public var weightSum: Double
    /// Present when the graph was built from engagement records.
    public var construction: Construction?

    enum CodingKeys: String, CodingKey {
        case nodes, edges, isolatedNodes = "isolated_nodes", storedEntries = "stored_entries"
        case trace, weightSum = "weight_sum", construction
    }

    /// Computes the statistics of `adjacency` in O(entries).
    public init(adjacency a: SparseMatrix, construction: Construction?) {
        self.init(adjacency: a, construction: construction, symmetricPattern: false)
    }

    init(adjacency a: SparseMatrix, construction: Construction?, symmetricPattern: Bool) {
        var hasNeighbour = [Bool](repeating: false, count: a.rows)
        var upper = 0, trace = 0.0, sum = 0.0
        // Lower-triangle entries, transposed (lowerT[c] lists r for every positive a[r, c], r > c), to
        // count an unordered pair once even when the input file stores only one of its two entries.
        var lowerStart = [Int](repeating: 0, count: a.rows + 1)
        for r in 0..<a.rows {
            for p in a.rowStart[r]..<a.rowStart[r + 1] {
                let c = Int(a.columnIndex[p]), v = a.values[p]
                sum += Double(v)
                if c == r { trace += Double(v); continue }
                guard v > 0 else { continue }
                hasNeighbour[r] = true
                hasNeighbour[c] = true
                if c > r { upper += 1 } else if !symmetricPattern { lowerStart[c + 1] += 1 }
            }
        }
        for c in 0..<a.rows { lowerStart[c + 1] += lowerStart[c] }
        var fill = lowerStart
        var lowerT = [Int32](repeating: 0, count: lowerStart[a.rows])
        for r in 0..<a.rows where !symmetricPattern {
            for p in a.rowStart[r]..<a.rowStart[r + 1] where Int(a.columnIndex[p]) < r && a.values[p] > 0 {
                let c = Int(a.columnIndex[p])
                lowerT[fill[c]] = Int32(r)  // rows r ascend, so each lowerT row comes out sorted
                fill[c] += 1
            }
        }
        // Pairs = |upper ∪ lowerᵀ|: add the lowerᵀ entries with no positive upper twin (sorted merge per row).
        var unmatched = 0
        for c in 0..<a.rows where lowerStart[c] < lowerStart[c + 1] {
            var p = a.rowStart[c]
            let end = a.rowStart[c + 1]
            for q in lowerStart[c]..<lowerStart[c + 1] {
                let r = lowerT[q]
                while p < end && a.columnIndex[p] < r { p += 1 }
                if !(p < end && a.columnIndex[p] == r && a.values[p] > 0) { unmatched += 1 }
            }
        }
        self.nodes = a.rows
        self.edges = upper + unmatched
        self.isolatedNodes = hasNeighbour.lazy.filter { !$0 }.count
        self.storedEntries = a.nonZeroCount
        self.trace = trace
        self.weightSum = sum
        self.construction = construction
    }

    /// The statistics as pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        Data(try JSONEncoding.bytes(self, pretty: true))
    }
}
