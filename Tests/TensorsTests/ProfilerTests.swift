import Foundation
import XCTest
import Tensors

/// The profiler counts only the outermost timed region of a thread, records nothing when off, and measures
/// idle threads of parallel regions; the report's classes sum to at most its wall time.
final class ProfilerTests: XCTestCase {
    override func tearDown() {
        Profiler.isEnabled = false
        Profiler.reset()
    }

    func seconds(_ c: ProfileClass) -> (Double, Int) {
        let row = Profiler.snapshot().first { $0.category == c }!
        return (row.seconds, row.count)
    }

    func testOnlyTheOutermostRegionCounts() {
        let session = ProfileSession()
        Profiler.time(.attention) {
            usleep(20_000)
            Profiler.time(.gemm) { usleep(20_000) }
            Profiler.time(.softmax) { Profiler.time(.gemm) { usleep(1_000) } }
        }
        Profiler.time(.norms) { usleep(5_000) }
        let report = session.finish()
        let (attention, attentionCalls) = seconds(.attention)
        print("attention \(attention) s, wall \(report.wallSeconds) s")
        XCTAssertEqual(attentionCalls, 1)
        XCTAssertGreaterThanOrEqual(attention, 0.040)
        XCTAssertEqual(seconds(.gemm).1, 0, "a GEMM inside attention is attention's time")
        XCTAssertEqual(seconds(.gemm).0, 0)
        XCTAssertEqual(seconds(.softmax).1, 0)
        XCTAssertEqual(seconds(.norms).1, 1)
        XCTAssertLessThanOrEqual(report.accountedSeconds, report.wallSeconds)
        XCTAssertGreaterThanOrEqual(report.unaccountedSeconds, 0)
        XCTAssertEqual(report.rows.map(\.name), ProfileClass.allCases.map(\.name))
    }

    func testNothingIsRecordedWhenOff() {
        Profiler.reset()
        Profiler.isEnabled = false
        Profiler.time(.gemm) { usleep(2_000) }
        Parallel.forEach(chunks: 2) { _ in usleep(1_000) }
        XCTAssertEqual(seconds(.gemm).1, 0)
        XCTAssertEqual(Profiler.idleThreads().regions, 0)
    }

    /// Two threads, one chunk sleeping 60 ms and one returning at once: about 60 ms of one thread idle.
    func testIdleThreadsOfAnUnbalancedRegion() {
        let saved = Parallel.threadCount
        Parallel.threadCount = 2
        defer { Parallel.threadCount = saved }
        let session = ProfileSession()
        Parallel.forEach(chunks: 2) { i in if i == 0 { usleep(60_000) } }
        // A nested region inside a chunk is not a region of its own.
        Parallel.forEach(chunks: 2) { _ in Parallel.forEach(chunks: 2) { _ in } }
        let report = session.finish()
        print(report.table())
        XCTAssertEqual(report.parallelRegions, 2)
        XCTAssertGreaterThanOrEqual(report.idleThreadSeconds, 0.050)
        XCTAssertLessThanOrEqual(report.idleThreadSeconds, report.parallelThreadSeconds)
    }

    func testJSONHasEveryClassAndTheTotals() throws {
        let session = ProfileSession()
        Profiler.time(.io) { usleep(1_000) }
        let report = session.finish()
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        let classes = try XCTUnwrap(obj["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.compactMap { $0["class"] as? String }, ProfileClass.allCases.map(\.name))
        let wall = try XCTUnwrap(obj["wall_seconds"] as? Double), sum = try XCTUnwrap(obj["sum_seconds"] as? Double)
        XCTAssertLessThanOrEqual(sum, wall)
        XCTAssertNotNil(obj["idle_thread_seconds"] as? Double)
        XCTAssertNotNil(obj["unaccounted_seconds"] as? Double)
    }

    func testCPUFlagsAreReadFromTheFlagsLine() {
        let text = "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu avx2 fma avx512f avx512_bf16\nbugs\t: none\n"
        let flags = CPU.flags(cpuinfoText: text)
        XCTAssertEqual(flags, ["fpu", "avx2", "fma", "avx512f", "avx512_bf16"])
        XCTAssertTrue(CPU.flags(cpuinfoText: "processor : 0\n").isEmpty)
    }
}
