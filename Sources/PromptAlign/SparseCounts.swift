import Foundation

/// A sparse matrix of positive integer counts in CSR form (used for the user–news engagement matrix B and
/// its transpose): row r holds `items[rowStart[r]..<rowStart[r+1]]`, sorted and distinct, with `counts`.
struct SparseCounts {
    var rowStart: [Int]
    var items: [Int32]
    var counts: [Int32]

    var rowCount: Int { rowStart.count - 1 }

    /// Rows given as unsorted item lists with repeats (`items[rowStart[r]..<rowStart[r+1]]`); each row is
    /// sorted and repeats are merged into counts.
    static func rows(rowStart: [Int], items: [Int32]) -> SparseCounts {
        let rowCount = rowStart.count - 1
        var outStart = [Int](repeating: 0, count: rowCount + 1)
        var outItems = [Int32](); outItems.reserveCapacity(items.count)
        var outCounts = [Int32](); outCounts.reserveCapacity(items.count)
        var row: [Int32] = []
        for r in 0..<rowCount {
            row.removeAll(keepingCapacity: true)
            row.append(contentsOf: items[rowStart[r]..<rowStart[r + 1]])
            row.sort()
            var i = 0
            while i < row.count {
                var j = i + 1
                while j < row.count && row[j] == row[i] { j += 1 }
                outItems.append(row[i])
                outCounts.append(Int32(j - i))
                i = j
            }
            outStart[r + 1] = outItems.count
        }
        return SparseCounts(rowStart: outStart, items: outItems, counts: outCounts)
    }

    /// This matrix with one extra row per element of `singletons`, each holding that item once.
    func appendingSingletons(for singletons: [Int]) -> SparseCounts {
        var copy = self
        for m in singletons {
            copy.items.append(Int32(m))
            copy.counts.append(1)
            copy.rowStart.append(copy.items.count)
        }
        return copy
    }

    /// The transpose, with `columns` rows; items within each row come out sorted.
    func transposed(columns: Int) -> SparseCounts {
        var start = [Int](repeating: 0, count: columns + 1)
        for it in items { start[Int(it) + 1] += 1 }
        for c in 0..<columns { start[c + 1] += start[c] }
        var fill = start
        var tItems = [Int32](repeating: 0, count: items.count)
        var tCounts = [Int32](repeating: 0, count: items.count)
        for r in 0..<rowCount {
            for p in rowStart[r]..<rowStart[r + 1] {
                let c = Int(items[p])
                tItems[fill[c]] = Int32(r)
                tCounts[fill[c]] = counts[p]
                fill[c] += 1
            }
        }
        return SparseCounts(rowStart: start, items: tItems, counts: tCounts)
    }
}
