import Dispatch
import Foundation
import Tensors
import XCTest

/// `Parallel` on the persistent worker pool: every chunk runs exactly once whatever state the workers are
/// in (polling, yielding, asleep), regions really use a second thread, and nested regions or regions
/// started from several threads at once run to completion.
final class WorkerPoolTests: XCTestCase {
    /// Runs `chunks` chunks, each counting its own visits, and checks each ran exactly once.
    func assertEveryChunkOnce(chunks: Int, context: String, file: StaticString = #filePath, line: UInt = #line) {
        let visits = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
        defer { visits.deallocate() }
        visits.initialize(repeating: 0, count: chunks)
        Parallel.forEach(chunks: chunks) { i in visits[i] += 1 }
        let wrong = (0..<chunks).filter { visits[$0] != 1 }
        XCTAssert(wrong.isEmpty, "\(context): chunks \(wrong.prefix(5)) ran \(wrong.prefix(5).map { visits[$0] }) times",
                  file: file, line: line)
    }

    /// Gaps of 0, 30 µs, 1 ms and 5 ms between regions catch the workers polling, yielding and asleep.
    func testEveryChunkRunsOnceWhateverTheWorkersAreDoing() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        var state: UInt64 = 7
        for threads in [2, 3, 5] {
            Parallel.threadCount = threads
            for round in 0..<400 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let chunks = 1 + Int(state >> 58)   // 1 ... 64
                assertEveryChunkOnce(chunks: chunks, context: "threads \(threads), round \(round)")
                switch round % 7 {
                case 3: usleep(30)
                case 5: usleep(1_000)
                case 6 where round % 50 == 6: usleep(5_000)
                default: break
                }
            }
        }
    }

    /// Chunk 0 waits for chunk 1: only a second thread can run chunk 1 meanwhile.
    func testARegionRunsOnTwoThreads() {
        let saved = Parallel.threadCount
        Parallel.threadCount = 2
        defer { Parallel.threadCount = saved }
        for gap in [0, 2_000, 20_000] {
            usleep(useconds_t(gap))   // the worker polling, then asleep
            let other = DispatchSemaphore(value: 0)
            var waited = DispatchTimeoutResult.timedOut
            Parallel.forEach(chunks: 2) { i in
                if i == 0 { waited = other.wait(timeout: .now() + 30) } else { other.signal() }
            }
            XCTAssertEqual(waited, .success, "after a \(gap) µs gap, chunk 1 never ran beside chunk 0")
        }
    }

    /// Regions inside chunks, and regions started from three threads at once, run every chunk once.
    func testNestedAndSimultaneousRegions() {
        let saved = Parallel.threadCount
        Parallel.threadCount = 2
        defer { Parallel.threadCount = saved }
        let lock = NSLock()
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 3) { caller in
            for round in 0..<200 {
                let outer = 2 + round % 5, inner = 1 + round % 9
                let visits = UnsafeMutablePointer<Int>.allocate(capacity: outer * inner)
                visits.initialize(repeating: 0, count: outer * inner)
                Parallel.forEach(chunks: outer) { i in
                    Parallel.forEach(chunks: inner) { j in visits[i * inner + j] += 1 }
                }
                if (0..<(outer * inner)).contains(where: { visits[$0] != 1 }) {
                    lock.lock(); failures.append("caller \(caller), round \(round)"); lock.unlock()
                }
                visits.deallocate()
            }
        }
        XCTAssertEqual(failures, [])
    }
}
