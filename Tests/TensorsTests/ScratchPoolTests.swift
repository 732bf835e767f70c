import Foundation
import Tensors
import XCTest

final class ScratchPoolTests: XCTestCase {
    /// A released large block serves the next request of its size class (a slightly larger batch included);
    /// a much smaller request does not take it; small requests never enter the pool.
    func testLargeBlocksAreReusedBySizeClass() {
        let pool = ScratchPool(retainedLimit: 64 << 20)
        let a = pool.take(bytes: 10_000_000)
        XCTAssertGreaterThanOrEqual(a.bytes, 10_000_000)
        XCTAssertLessThan(a.bytes, 12_500_001, "rounded up by at most a quarter of a power of two")
        XCTAssertEqual(Int(bitPattern: a.pointer) % 64, 0)
        a.pointer.storeBytes(of: 7, toByteOffset: a.bytes - 8, as: Int.self)
        pool.release(a.pointer, bytes: a.bytes)
        XCTAssertEqual(pool.retainedBytes, a.bytes)

        let b = pool.take(bytes: 10_400_000)   // same size class
        XCTAssertEqual(b.pointer, a.pointer)
        XCTAssertEqual(pool.retainedBytes, 0)
        pool.release(b.pointer, bytes: b.bytes)

        let small = pool.take(bytes: 2_000_000)  // would waste over half the block: a new one
        XCTAssertNotEqual(small.pointer, a.pointer)
        pool.release(small.pointer, bytes: small.bytes)
        XCTAssertEqual(pool.retainedBytes, a.bytes + small.bytes)

        let tiny = pool.take(bytes: 100)
        pool.release(tiny.pointer, bytes: tiny.bytes)
        XCTAssertEqual(pool.retainedBytes, a.bytes + small.bytes, "blocks under a megabyte are not kept")
    }

    /// Free blocks beyond the limit are given back, oldest first.
    func testRetainedBytesStayUnderTheLimit() {
        let pool = ScratchPool(retainedLimit: 20 << 20)
        let blocks = (0..<4).map { _ in pool.take(bytes: 8 << 20) }
        for b in blocks { pool.release(b.pointer, bytes: b.bytes) }
        XCTAssertLessThanOrEqual(pool.retainedBytes, 20 << 20)
        XCTAssertEqual(pool.retainedBytes, 2 * (8 << 20))
        // The newest two were kept.
        let again = [pool.take(bytes: 8 << 20), pool.take(bytes: 8 << 20)].map(\.pointer)
        XCTAssertEqual(Set(again), Set(blocks[2...].map(\.pointer)))
    }
}
