import Foundation
import PipelineEngine
import XCTest

/// Progress reports name their unit, show the total when known, a rate and an ETA, and the loss of
/// training tasks; on a terminal as a bar redrawn in place at most 10 times a second, otherwise as plain
/// lines at a modest rate.
final class ProgressTests: XCTestCase {
    func testPlainLineWithTotalUnitRateAndETA() {
        let line = ProgressLine(label: "embed", update: ProgressUpdate(done: 16, total: 2100, unit: "sequences"), rate: 63.1, elapsed: 1)
        XCTAssertEqual(line.plain, "[embed] 16/2100 sequences 63.1/s ETA 33s")
        XCTAssertEqual(line.eta ?? 0, 2084 / 63.1, accuracy: 1e-9)
    }

    func testLossAndUnitWithoutRate() {
        let line = ProgressLine(label: "finetune", update: ProgressUpdate(done: 3, total: 6, unit: "epochs", loss: 0.5123), rate: nil, elapsed: 4)
        XCTAssertEqual(line.plain, "[finetune] 3/6 epochs loss 0.512")
    }

    func testCountsWhenTheTotalIsUnknown() {
        XCTAssertEqual(ProgressLine(label: "score", update: ProgressUpdate(done: 120, unit: "rows"), rate: 2.5, elapsed: 48).plain,
                       "[score] 120 rows 2.5/s")
        XCTAssertEqual(ProgressLine(label: "x", update: ProgressUpdate(done: 7), rate: 1234.4, elapsed: 1).plain, "[x] 7 done 1234/s")
        XCTAssertEqual(ProgressLine(label: "x", update: ProgressUpdate(done: 0), rate: nil, elapsed: 75).plain, "[x] running 1m15s")
        XCTAssertEqual(ProgressLine(label: "slow", update: ProgressUpdate(done: 2, total: 10, unit: "runs"), rate: 0.1, elapsed: 20).plain,
                       "[slow] 2/10 runs 6.0/min ETA 1m20s")
    }

    func testDurations() {
        XCTAssertEqual(ProgressLine.duration(0.4), "0s")
        XCTAssertEqual(ProgressLine.duration(33.2), "33s")
        XCTAssertEqual(ProgressLine.duration(245), "4m05s")
        XCTAssertEqual(ProgressLine.duration(7380), "2h03m")
        // An ETA at a rate near zero must not trap converting to Int.
        XCTAssertEqual(ProgressLine.duration(1e300), ">999h")
        XCTAssertEqual(ProgressLine(label: "x", update: ProgressUpdate(done: 1, total: 10), rate: 1e-300, elapsed: 1).plain,
                       "[x] 1/10 0.0/min ETA >999h")
    }

    func testBar() {
        let line = ProgressLine(label: "embed", update: ProgressUpdate(done: 1050, total: 2100, unit: "sequences"), rate: 50, elapsed: 21)
        XCTAssertEqual(line.bar(width: 10), "[embed] █████░░░░░  50% 1050/2100 sequences 50.0/s ETA 21s")
        // Without a total there is nothing to fill: the plain line.
        let open = ProgressLine(label: "e", update: ProgressUpdate(done: 5, unit: "rows"), rate: nil, elapsed: 1)
        XCTAssertEqual(open.bar(), open.plain)
    }

    /// A meter driven by a fake clock, collecting what it writes.
    final class Recorder: @unchecked Sendable {
        var time = 100.0
        var written: [String] = []
        let lock = NSLock()
        func meter(_ style: ProgressStyle, total: Int?) -> ProgressMeter {
            ProgressMeter(label: "embed", unit: "sequences", total: total, style: style,
                          write: { [self] s in lock.lock(); written.append(s); lock.unlock() },
                          clock: { [self] in lock.lock(); defer { lock.unlock() }; return time })
        }
    }

    func testTerminalRedrawsInPlaceAtMostTenTimesASecond() {
        let r = Recorder()
        let m = r.meter(.live, total: 100)
        for i in 1...100 { r.time += 0.01; m.report(done: i) }  // 100 reports in one second
        m.finish()
        let draws = r.written.filter { $0.hasPrefix("\r\u{1B}[2K") }
        XCTAssertEqual(draws.count, r.written.count, "every draw rewrites the line in place")
        XCTAssertLessThanOrEqual(draws.count, 12, "at most ~10 redraws a second, plus the final one: \(draws.count)")
        XCTAssertGreaterThanOrEqual(draws.count, 8)
        XCTAssertTrue(r.written.last!.contains("100/100 sequences") && r.written.last!.hasSuffix("\n"), r.written.last!)
        XCTAssertTrue(r.written.last!.contains("█"), "a bar on a terminal")
    }

    func testPlainLinesAtAModestRate() {
        let r = Recorder()
        let m = r.meter(.plain, total: nil)
        for i in 1...300 { r.time += 0.1; m.report(done: i * 10) }  // 30 s of reports
        m.finish()
        XCTAssertFalse(r.written.contains { $0.contains("\u{1B}") }, "no terminal escapes in plain output")
        XCTAssertLessThanOrEqual(r.written.count, 8, "a line every 5 s at most, plus the last: \(r.written)")
        XCTAssertGreaterThanOrEqual(r.written.count, 6)
        XCTAssertEqual(r.written.last, "[embed] 3000 sequences 100.0/s\n")
        let count = r.written.count
        r.time += 60
        m.report(done: 4000)
        XCTAssertEqual(r.written.count, count, "nothing after finish")
    }

    func testQuietWritesNothing() {
        let r = Recorder()
        let m = r.meter(.quiet, total: 10)
        for i in 1...10 { r.time += 1; m.report(done: i, loss: 1) }
        m.finish()
        XCTAssertTrue(r.written.isEmpty)
    }
}

/// A sharded stage's progress counts records across its shards, not shards (issue 15).
final class ShardProgressTests: XCTestCase {
    func testRecordsAcrossShardsWithCachedOnes() {
        final class Sink: @unchecked Sendable { var updates: [ProgressUpdate] = []; let lock = NSLock() }
        let sink = Sink()
        let p = ShardProgress(sizes: [70, 70, 60], finished: [0]) { u in sink.lock.lock(); sink.updates.append(u); sink.lock.unlock() }
        p.shard(1, ProgressUpdate(done: 16, total: 70, unit: "sequences"))
        p.shard(2, ProgressUpdate(done: 21, total: 60, unit: "sequences"))
        p.shard(1, ProgressUpdate(done: 500, total: nil, unit: "sequences"))   // clamped to the shard's 70
        p.finished(2)
        let got = sink.updates.map { "\($0.done)/\($0.total ?? -1) \($0.unit ?? "-")" }
        XCTAssertEqual(got, ["86/200 sequences", "107/200 sequences", "161/200 sequences", "200/200 sequences"])
        let line = ProgressLine(label: "embed", update: sink.updates[1], rate: 12.5, elapsed: 3)
        XCTAssertEqual(line.plain, "[embed] 107/200 sequences 12.5/s ETA 7s")
    }
}

extension ProgressTests {
    /// The closing plain line is not a copy of the last one (`[forward] 1/1 sequences` printed once).
    func testPlainClosingLineIsNotRepeated() {
        let r = Recorder()
        let m = r.meter(.plain, total: 1)
        r.time += 1
        m.report(done: 1)
        m.finish()
        XCTAssertEqual(r.written.count, 1, "\(r.written)")
    }
}
