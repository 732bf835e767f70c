import Foundation

/// A sparse matrix in compressed sparse row (CSR) form with `Float` values, column indices sorted and
/// unique within each row.
public struct SparseMatrix: Equatable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// `rowStart[r] ..< rowStart[r + 1]` indexes the entries of row `r`; `rows + 1` items.
    public let rowStart: [Int]
    /// Column index of each stored entry.
    public let columnIndex: [Int32]
    /// Value of each stored entry.
    public let values: [Float]

    /// Number of stored entries.
    public var nonZeroCount: Int { values.count }

    /// Wraps CSR arrays; they must be consistent (checked, `precondition`).
    public init(rows: Int, columns: Int, rowStart: [Int], columnIndex: [Int32], values: [Float]) {
        precondition(rowStart.count == rows + 1 && rowStart.first == 0 && rowStart.last == values.count,
                     "inconsistent CSR row pointers")
        precondition(columnIndex.count == values.count, "CSR columns and values differ in length")
        self.rows = rows
        self.columns = columns
        self.rowStart = rowStart
        self.columnIndex = columnIndex
        self.values = values
    }

    /// Builds a matrix from (row, column, value) triplets in any order. Returns nil at the first duplicate
    /// position (its index into `entries` is reported through `duplicate`).
    public init?(rows: Int, columns: Int, entries: [(row: Int32, column: Int32, value: Float)],
                 duplicate: inout Int?) {
        var counts = [Int](repeating: 0, count: rows + 1)
        for e in entries { counts[Int(e.row) + 1] += 1 }
        for r in 0..<rows { counts[r + 1] += counts[r] }
        var next = counts
        var order = [Int](repeating: 0, count: entries.count)
        for (i, e) in entries.enumerated() {
            order[next[Int(e.row)]] = i
            next[Int(e.row)] += 1
        }
        var cols = [Int32](repeating: 0, count: entries.count)
        var vals = [Float](repeating: 0, count: entries.count)
        for r in 0..<rows {
            let range = counts[r]..<counts[r + 1]
            let sorted = order[range].sorted { entries[$0].column < entries[$1].column }
            for (k, i) in sorted.enumerated() {
                let p = range.lowerBound + k
                if k > 0, entries[i].column == cols[p - 1] { duplicate = i; return nil }
                cols[p] = entries[i].column
                vals[p] = entries[i].value
            }
        }
        self.init(rows: rows, columns: columns, rowStart: counts, columnIndex: cols, values: vals)
    }

    /// The stored value at (row, column), or 0.
    public subscript(row: Int, column: Int) -> Float {
        let range = rowStart[row]..<rowStart[row + 1]
        var lo = range.lowerBound, hi = range.upperBound
        let c = Int32(column)
        while lo < hi {
            let mid = (lo + hi) / 2
            if columnIndex[mid] < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < range.upperBound && columnIndex[lo] == c ? values[lo] : 0
    }

    /// The diagonal (missing entries are 0).
    public var diagonal: [Float] { (0..<min(rows, columns)).map { self[$0, $0] } }

    /// The matrix as a dense row-major array (tests and small inputs only). // [rows, columns]
    public func dense() -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for p in rowStart[r]..<rowStart[r + 1] { out[r * columns + Int(columnIndex[p])] = values[p] }
        }
        return out
    }

    /// `self · X` for a dense row-major `X` of shape [columns, width], accumulated in `Double`.
    /// Each output element sums its row's products in column order.
    public func multiply(_ x: [Double], width: Int) -> [Double] {
        precondition(x.count == columns * width, "dense operand has the wrong shape")
        var out = [Double](repeating: 0, count: rows * width) // [rows, width]
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                rowStart.withUnsafeBufferPointer { rs in
                    columnIndex.withUnsafeBufferPointer { ci in
                        values.withUnsafeBufferPointer { vs in
                            for r in 0..<rows {
                                let o = r * width
                                for p in rs[r]..<rs[r + 1] {
                                    let w = Double(vs[p])
                                    let xr = Int(ci[p]) * width
                                    for c in 0..<width { op[o + c] += w * xp[xr + c] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
