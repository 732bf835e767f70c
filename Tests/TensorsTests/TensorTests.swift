import XCTest
import Tensors

final class TensorTests: XCTestCase {
    func testShapeIndexingAndReshape() {
        var t = Tensor(shape: [2, 3, 4], data: (0..<24).map(Float.init))
        XCTAssertEqual(t.count, 24)
        XCTAssertEqual(t[1, 2, 3], 23)
        XCTAssertEqual(t[0, 1, 0], 4)
        t[1, 0, 0] = -1
        XCTAssertEqual(t[flat: 12], -1)
        let r = t.reshaped([6, -1])
        XCTAssertEqual(r.shape, [6, 4])
        XCTAssertEqual(r.data, t.data)
        XCTAssertEqual(Tensor(zeros: [3, 0]).count, 0)
        XCTAssertEqual(Tensor(repeating: 2, shape: [2]).data, [2, 2])
    }

    func testParallelCoversEveryChunkOnce() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for threads in [1, 2, 5] {
            Parallel.threadCount = threads
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: 37)
            hits.initialize(repeating: 0, count: 37)
            Parallel.forEach(chunks: 37) { hits[$0] += 1 }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: hits, count: 37)), [Int](repeating: 1, count: 37))
            hits.deallocate()
            var covered = [Bool](repeating: false, count: 1000)
            covered.withUnsafeMutableBufferPointer { c in
                let p = c.baseAddress!
                Parallel.forEach(range: 1000, costPerItem: 1_000) { r in for i in r { p[i] = true } }
            }
            XCTAssertTrue(covered.allSatisfy { $0 })
        }
    }
}
