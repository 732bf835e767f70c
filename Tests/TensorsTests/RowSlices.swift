import XCTest

/// Batch invariance, checked one way everywhere: each (first, count) slice of rows is computed alone by
/// `compute(first, count, &out)` (`out` holds count × n values) and must have the bits of the same rows of
/// `whole`, the [rows, n] result computed in one call.
func assertRowSlices(of whole: [Float], n: Int, _ slices: [(first: Int, count: Int)], _ label: String,
                     file: StaticString = #filePath, line: UInt = #line,
                     compute: (_ first: Int, _ count: Int, _ out: inout [Float]) -> Void) {
    for (first, count) in slices {
        var part = [Float](repeating: 0, count: count * n)
        compute(first, count, &part)
        XCTAssertEqual(part.map(\.bitPattern), whole[(first * n)..<((first + count) * n)].map(\.bitPattern),
                       "rows \(first)..<\(first + count), \(label)", file: file, line: line)
    }
}
