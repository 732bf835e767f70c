import Foundation
import Transformers

extension NewsGraph {
    /// Nodes (articles) an edge list may index; an index beyond it is a typo or hostile, not a dataset.
    public static let maxNodes = 10_000_000

    /// Reads a weighted edge list: a header line `row<TAB>col<TAB>weight` (commas are accepted instead of
    /// tabs), then one `row, col, weight` entry per line, 0-based node indices, entries in any order, each
    /// (row, col) at most once. The node count is `nodeCount` when given (indices must be below it),
    /// otherwise one more than the largest index.
    public static func readEdgeList(_ url: URL, nodeCount: Int? = nil) throws -> NewsGraph {
        let file = url.path
        // Node indices size the graph's arrays: bound them before anything is allocated.
        if let n = nodeCount, n < 1 || n > maxNodes {
            throw PromptAlignError.invalidParameter(name: "nodes", value: String(n), expected: "a node count in 1…\(maxNodes)")
        }
        let bound = nodeCount ?? maxNodes
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PromptAlignError.io(file: file, message: "cannot read: \(ModelDirectory.reason(error))")
        }
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard let headerLine = lines.first else {
            throw PromptAlignError.malformedRow(file: file, line: 1, column: nil,
                                                expected: "a header 'row<TAB>col<TAB>weight'", found: "an empty file")
        }
        let header = headerLine.hasSuffix("\r") ? headerLine.dropLast() : headerLine
        let separator: Character = header.contains("\t") ? "\t" : ","
        let names = header.split(separator: separator, omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard names == ["row", "col", "weight"] else {
            throw PromptAlignError.malformedRow(file: file, line: 1, column: nil,
                                                expected: "the header 'row<TAB>col<TAB>weight'", found: excerpt(header))
        }
        var entries: [(row: Int32, column: Int32, value: Float)] = []
        entries.reserveCapacity(lines.count - 1)
        var largest: Int32 = -1
        for (i, raw) in lines.enumerated().dropFirst() {
            let lineNo = i + 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let fields = line.split(separator: separator, omittingEmptySubsequences: false)
            guard fields.count == 3 else {
                throw PromptAlignError.malformedRow(file: file, line: lineNo, column: nil,
                                                    expected: "3 fields (row, col, weight)",
                                                    found: "\(fields.count) field(s) in \(excerpt(line))")
            }
            var index: [Int32] = []
            for f in 0..<2 {
                guard let v = Int32(fields[f]), v >= 0, Int(v) < bound else {
                    let expected = nodeCount.map { "a node index in 0..<\($0) (--nodes)" }
                        ?? "a node index in 0..<\(maxNodes) (the largest graph this reader builds)"
                    throw PromptAlignError.malformedRow(file: file, line: lineNo, column: f + 1,
                                                        expected: expected, found: excerpt(fields[f]))
                }
                index.append(v)
            }
            guard let w = Float(fields[2]), w.isFinite else {
                throw PromptAlignError.malformedRow(file: file, line: lineNo, column: 3,
                                                    expected: "a finite weight", found: excerpt(fields[2]))
            }
            largest = max(largest, index[0], index[1])
            entries.append((index[0], index[1], w))
        }
        let n = nodeCount ?? Int(largest) + 1
        var duplicate: Int?
        guard let matrix = SparseMatrix(rows: n, columns: n, entries: entries, duplicate: &duplicate) else {
            let e = entries[duplicate!]
            throw PromptAlignError.malformedRow(file: file, line: duplicate! + 2, column: nil,
                                                expected: "each (row, col) once",
                                                found: "a second entry for (\(e.row), \(e.column))")
        }
        return NewsGraph(adjacency: matrix)
    }

    /// The graph as an edge list: header `row<TAB>col<TAB>weight`, entries in row-major order, weights
    /// printed like C's `%.9g` (enough digits to read back the same `Float`), the authors' file format.
    public func edgeListData() -> Data {
        var out = [UInt8]()
        out.reserveCapacity(adjacency.nonZeroCount * 24 + 32)
        out.append(contentsOf: Array("row\tcol\tweight\n".utf8))
        var buffer = [CChar](repeating: 0, count: 48)
        for r in 0..<adjacency.rows {
            let rowText = Array(String(r).utf8)
            for p in adjacency.rowStart[r]..<adjacency.rowStart[r + 1] {
                out.append(contentsOf: rowText)
                out.append(9)
                out.append(contentsOf: Array(String(adjacency.columnIndex[p]).utf8))
                out.append(9)
                let len = withVaList([Double(adjacency.values[p])]) { vsnprintf(&buffer, buffer.count, "%.9g", $0) }
                buffer.withUnsafeBufferPointer { b in
                    b.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: Int(len)) {
                        out.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(len)))
                    }
                }
                out.append(10)
            }
        }
        return Data(out)
    }

    /// Writes `edgeListData()` to `url` atomically.
    public func writeEdgeList(to url: URL) throws {
        try writeAtomically(edgeListData(), to: url)
    }

    /// Writes the statistics JSON to `url` atomically.
    public func writeStatistics(to url: URL) throws {
        try writeAtomically(statistics.jsonData(), to: url)
    }
}
