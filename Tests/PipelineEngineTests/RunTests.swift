import PipelineEngine
import XCTest
import _TestSupport

/// Running: failures, retries, keep-going, partial outputs, records, trace, report, lock, clean.
final class RunTests: XCTestCase {
    /// Fails its first attempt (of 3), then writes `out/r.txt`.
    static let flaky = """
    stages:
      flaky:
        uses: shell
        retries: 2
        with:
          outputs: [out/r.txt]
          command: |
            if [ ! -e "$TRELLIS_PROJECT/marker" ]; then touch "$TRELLIS_PROJECT/marker"; echo first try fails >&2; exit 3; fi
            echo ok > out/r.txt
    """

    func testRetriesRecoverAFlakyStage() throws {
        let p = try Project()
        let r = try p.run(Self.flaky)
        XCTAssertEqual(r.statuses, ["flaky": "done"])
        XCTAssertEqual(r.trace[0].attempts, 2)
        XCTAssertEqual(p.read("out/r.txt"), "ok\n")
        let log = try String(contentsOf: p.root.appendingPathComponent(r.trace[0].log!), encoding: .utf8)
        XCTAssertTrue(log.contains("first try fails"), log)
        XCTAssertTrue(log.contains("error: command exited with status 3"), log)
        XCTAssertTrue(log.contains("--- attempt 2 of 3"), log)
    }

    static let twoBranches = """
    stages:
      bad:
        uses: shell
        with:
          outputs: [out/partial.txt]
          command: |
            echo half > out/partial.txt
            echo "something broke" >&2
            exit 7
      after_bad:
        uses: shell
        with:
          inputs: [${stages.bad.outputs.partial.txt}]
          command: "true"
      good:
        uses: shell
        with:
          outputs: [out/good.txt]
          command: echo fine > out/good.txt
    """

    func testFailFastCancelsTheRestAndLeavesNoPartialOutput() throws {
        let p = try Project()
        let r = try p.run(Self.twoBranches, jobs: 1)
        XCTAssertEqual(r.statuses, ["bad": "failed", "after_bad": "skipped", "good": "cancelled"])
        XCTAssertFalse(r.succeeded)
        XCTAssertEqual(r.failures.count, 1)
        XCTAssertEqual(r.failures[0].error, "command exited with status 7")
        XCTAssertEqual(r.trace.first { $0.stage == "bad" }?.exitStatus, 7)
        XCTAssertTrue(try String(contentsOf: r.failures[0].log, encoding: .utf8).contains("something broke"))
        XCTAssertFalse(p.exists("out/partial.txt"), "a failed stage must not publish its partial output")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: p.work.appendingPathComponent("tmp").path), [])
    }

    func testKeepGoingRunsIndependentStages() throws {
        let p = try Project()
        let r = try p.run(Self.twoBranches, jobs: 1, keepGoing: true)
        XCTAssertEqual(r.statuses, ["bad": "failed", "after_bad": "skipped", "good": "done"])
        XCTAssertEqual(p.read("out/good.txt"), "fine\n")
        // The next run redoes only the failed branch.
        let again = try p.run(Self.twoBranches, jobs: 1, keepGoing: true)
        XCTAssertEqual(again.statuses, ["bad": "failed", "after_bad": "skipped", "good": "cached"])
    }

    func testMissingDeclaredOutputFails() throws {
        let p = try Project()
        let r = try p.run("stages:\n  s:\n    uses: shell\n    with:\n      outputs: [out/a.txt, out/b.txt]\n      command: echo > out/a.txt\n")
        XCTAssertEqual(r.failures.first?.error, "the command did not create declared output 'out/b.txt'")
        XCTAssertFalse(p.exists("out/a.txt"))
    }

    func testTraceReportAndRecords() throws {
        let p = try Project()
        try p.write("in.faa", ">a one\nMKV\n>b\nMKVLLLLL\n>c\nM*\n")
        let spec = "stages:\n" + TestSupport.stageYAML("filter", uses: "fasta.filter", with: ["input": "in.faa", "min_length": "3"])
            + Project.tableStage("summary", needs: ["filter"], path: "out/summary.json")
        let r = try p.runOK(spec)
        let traceText = try String(contentsOf: r.runDirectory.appendingPathComponent("trace.jsonl"), encoding: .utf8)
        let lines = traceText.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        for field in ["stage", "key", "cached", "start", "end", "wall", "cpu", "peak_rss_kb", "exit_status"] {
            XCTAssertNotNil(first[field], "trace line lacks \(field): \(lines[0])")
        }
        let html = try String(contentsOf: r.runDirectory.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.contains("filter") && !html.contains("http://cdn"), "self-contained report")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: p.root.appendingPathComponent("out/summary.json"))) as! [[String: String]]
        let fasta = summary.first { $0["output"] == "fasta" }!
        XCTAssertEqual(fasta["records"], "2")
        XCTAssertEqual(summary.first { $0["output"] == "count" }?["path"], "2")
        // Internal outputs live in the work directory under the stage's key.
        XCTAssertTrue(fasta["path"]!.hasPrefix(".trellis/objects/"), fasta["path"]!)
    }

    func testLockStopsASecondRun() throws {
        let p = try Project()
        let holder = WorkDirectory(root: p.work)
        try holder.lock()
        defer { holder.unlock() }
        XCTAssertThrowsError(try p.run("stages:\n  s:\n    uses: shell\n    with:\n      command: \"true\"\n")) { error in
            XCTAssertTrue("\(error)".contains("is in use by another trellis run (pid \(getpid()))"), "\(error)")
        }
    }

    func testCleanKeepsOnlyCurrentResults() throws {
        let p = try Project()
        try p.write("in.txt", "x")
        let spec = "name: c\nparams:\n  s: \"1\"\nstages:\n  a:\n    uses: test.copy\n    with:\n      input: in.txt\n      suffix: ${params.s}\n"
        try p.run(spec)
        try p.run(spec, overrides: ["s=2"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: p.work.appendingPathComponent("records").path).count, 2)
        let report = try Cleaner.clean(workDirectory: p.work, keeping: [p.load(spec, overrides: ["s=2"])], dryRun: false)
        XCTAssertEqual(report.removed.count, 2, "\(report.removed)")  // the old record and its objects
        XCTAssertEqual(try p.plan(spec, overrides: ["s=2"])["a"], "cached: cached")
        XCTAssertEqual(try p.plan(spec)["a"], "run: parameter changed: suffix")
    }

    func testParallelStagesRunWithinJobs() throws {
        let p = try Project()
        var spec = "stages:\n"
        for i in 0..<6 {
            spec += "  s\(i):\n    uses: shell\n    with:\n      outputs: [out/\(i)]\n      command: sleep 0.2; touch out/\(i)\n"
        }
        let r = try p.runOK(spec, jobs: 3)
        // At most 3 stages overlap at any instant.
        var events: [(time: Double, delta: Int)] = []
        for e in r.trace { events.append((e.start, 1)); events.append((e.end, -1)) }
        events.sort { a, b in a.time != b.time ? a.time < b.time : a.delta < b.delta }
        var running = 0, peak = 0
        for e in events { running += e.delta; peak = max(peak, running) }
        XCTAssertLessThanOrEqual(peak, 3)
        XCTAssertGreaterThanOrEqual(peak, 2)
    }

    func testIdenticalStagesRunOnce() throws {
        let p = try Project()
        try p.write("in.faa", ">a\nMKV\n")
        var spec = "stages:\n"
        for i in 0..<4 { spec += "  f\(i):\n    uses: fasta.filter\n    with:\n      input: in.faa\n" }
        let r = try p.run(spec, jobs: 2)
        XCTAssertEqual(r.count("done"), 1)
        XCTAssertEqual(r.count("cached"), 3)
        XCTAssertEqual(Set(r.trace.map(\.key)).count, 1)
        XCTAssertEqual(try p.plan(spec).values.sorted(), Array(repeating: "cached: cached", count: 4))
    }
}
