import Foundation

/// A_T = D^-½ (BᵀB) D^-½ for a user-major count matrix B, sparse throughout.
enum NormalisedGram {
    /// Gustavson's row-wise product: row m of A = BᵀB accumulates, for every user k who reposted m,
    /// B[k, m] · B[k, ·] into exact integer counts. Rows run in parallel chunks of similar work, each with
    /// its own dense accumulator; a row's columns come out sorted by a bitmap scan (long rows) or a sort of
    /// the touched columns (short rows). Weights are (Float(A[i, j]) · d_j) · d_i, d = Float(deg^-½).
    static func compute(_ b: SparseCounts, nodeCount n: Int) -> SparseMatrix {
        let bt = b.transposed(columns: n)
        // deg_m = Σ_n A[m, n] = Σ_k B[k, m] · (Σ_n B[k, n]): exact integers, known before the product.
        var userTotal = [Double](repeating: 0, count: b.rowCount)
        for k in 0..<b.rowCount {
            var t = 0.0
            for p in b.rowStart[k]..<b.rowStart[k + 1] { t += Double(b.counts[p]) }
            userTotal[k] = t
        }
        var scale = [Float](repeating: 0, count: n)
        var work = [Int](repeating: 0, count: n + 1) // prefix sums of per-row product work
        for m in 0..<n {
            var deg = 0.0, w = 0
            for p in bt.rowStart[m]..<bt.rowStart[m + 1] {
                let k = Int(bt.items[p])
                deg += Double(bt.counts[p]) * userTotal[k]
                w += b.rowStart[k + 1] - b.rowStart[k]
            }
            let s = Foundation.pow(deg, -0.5)
            scale[m] = s.isFinite ? Float(s) : 0
            work[m + 1] = work[m] + w
        }
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let bounds = chunkBounds(work: work, count: min(n, 8 * threads))
        var parts = [Chunk?](repeating: nil, count: bounds.count - 1)
        parts.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: bounds.count - 1) { c in
                let rows = bounds[c]..<bounds[c + 1]
                (base + c).initialize(to: rowsOfProduct(rows, b: b, bt: bt, scale: scale, n: n, work: work))
            }
        }
        var rowStart = [Int](repeating: 0, count: n + 1)
        for part in parts {
            let p = part!
            for (i, len) in p.rowLength.enumerated() { rowStart[p.rows.lowerBound + i + 1] = len }
        }
        for m in 0..<n { rowStart[m + 1] += rowStart[m] }
        let total = rowStart[n]
        let columns = [Int32](unsafeUninitializedCapacity: total) { buf, count in
            for part in parts {
                let p = part!
                (buf.baseAddress! + rowStart[p.rows.lowerBound]).update(from: p.columns, count: p.count)
            }
            count = total
        }
        let values = [Float](unsafeUninitializedCapacity: total) { buf, count in
            for part in parts {
                let p = part!
                (buf.baseAddress! + rowStart[p.rows.lowerBound]).update(from: p.values, count: p.count)
                p.columns.deallocate()
                p.values.deallocate()
            }
            count = total
        }
        return SparseMatrix(rows: n, columns: n, rowStart: rowStart, columnIndex: columns, values: values)
    }

    /// Splits 0..<n into at most `count` ranges of roughly equal `work` (prefix sums, n + 1 items).
    static func chunkBounds(work: [Int], count: Int) -> [Int] {
        let n = work.count - 1
        guard n > 0, count > 1 else { return [0, n] }
        var bounds = [0]
        let total = max(work[n], 1)
        var m = 0
        for c in 1..<count {
            let target = total * c / count
            while m < n && work[m] < target { m += 1 }
            if m > bounds.last! && m < n { bounds.append(m) }
        }
        bounds.append(n)
        return bounds
    }

    /// One chunk's rows of A_T; `columns`/`values` are allocated here and freed by the caller.
    struct Chunk {
        var rows: Range<Int>
        var rowLength: [Int]
        var columns: UnsafeMutablePointer<Int32>
        var values: UnsafeMutablePointer<Float>
        var count: Int
    }

    static func rowsOfProduct(_ rows: Range<Int>, b: SparseCounts, bt: SparseCounts, scale: [Float], n: Int,
                              work: [Int]) -> Chunk {
        // A row has at most min(n, work) entries. Allocating that bound only maps virtual memory; pages
        // are touched as entries are written.
        var capacity = 0
        for m in rows { capacity += min(n, work[m + 1] - work[m]) }
        let columns = UnsafeMutablePointer<Int32>.allocate(capacity: max(capacity, 1))
        let values = UnsafeMutablePointer<Float>.allocate(capacity: max(capacity, 1))
        var rowLength = [Int](repeating: 0, count: rows.count)
        var acc = [UInt32](repeating: 0, count: n)      // [n] co-occurrence counts of the current row
        var touched = [Int32](repeating: 0, count: n)   // columns touched by the current row, unsorted
        let words = (n + 63) / 64
        var bits = [UInt64](repeating: 0, count: words) // [n bits] touched columns of the current row
        var out = 0
        acc.withUnsafeMutableBufferPointer { acc in
        touched.withUnsafeMutableBufferPointer { touched in
        bits.withUnsafeMutableBufferPointer { bits in
        scale.withUnsafeBufferPointer { scale in
        b.rowStart.withUnsafeBufferPointer { brs in
        b.items.withUnsafeBufferPointer { bitems in
        b.counts.withUnsafeBufferPointer { bcounts in
        bt.rowStart.withUnsafeBufferPointer { trs in
        bt.items.withUnsafeBufferPointer { titems in
        bt.counts.withUnsafeBufferPointer { tcounts in
            for (r, m) in rows.enumerated() {
                var t = 0
                for p in trs[m]..<trs[m + 1] {
                    let k = Int(titems[p])
                    let bkm = UInt32(tcounts[p])
                    for q in brs[k]..<brs[k + 1] {
                        let j = Int(bitems[q])
                        if acc[j] == 0 {
                            touched[t] = Int32(j); t += 1
                            bits[j >> 6] |= 1 << UInt64(j & 63)
                        }
                        acc[j] &+= bkm &* UInt32(bcounts[q])
                    }
                }
                let si = scale[m]
                @inline(__always) func emit(_ j: Int) {
                    columns[out] = Int32(j)
                    values[out] = (Float(acc[j]) * scale[j]) * si
                    acc[j] = 0
                    out += 1
                }
                // Sorting t columns costs about t·log2(t); scanning the bitmap costs n/64 words.
                if t * (Int.bitWidth - t.leadingZeroBitCount) > words {
                    for w in 0..<words where bits[w] != 0 {
                        var word = bits[w]
                        bits[w] = 0
                        while word != 0 {
                            emit(w << 6 | word.trailingZeroBitCount)
                            word &= word &- 1
                        }
                    }
                } else {
                    var head = UnsafeMutableBufferPointer(rebasing: touched[0..<t])
                    head.sort()
                    for i in 0..<t {
                        let j = Int(touched[i])
                        bits[j >> 6] = 0
                        emit(j)
                    }
                }
                rowLength[r] = t
            }
        }}}}}}}}}}
        return Chunk(rows: rows, rowLength: rowLength, columns: columns, values: values, count: out)
    }
}
