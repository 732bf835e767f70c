import Foundation
import PipelineEngine
import XCTest
import _TestSupport

/// Issue 14 fault injection, end to end on the binary: kill -9 of `trellis run` at random points, SIGHUP,
/// and failing writes. Each ends with nothing half-written at published paths, no stage command still
/// running, and a next run that completes.
final class FaultInjectionTests: XCTestCase {
    /// Four shell stages (a chain of three and one independent) writing their outputs line by line; each
    /// command records its pid and its background child's pid in pids/, and sleeps $FAULT_SLEEP seconds.
    func writeSpec(_ root: URL) throws {
        // The YAML subset has no anchors: repeat the command per stage.
        let command = [
            "      command: |",
            "        echo $$ >> \"$TRELLIS_PROJECT/pids/$TRELLIS_STAGE\"",
            "        sleep \"${FAULT_SLEEP:-0}\" & echo $! >> \"$TRELLIS_PROJECT/pids/$TRELLIS_STAGE\"; wait",
            "        for k in 1 2 3; do echo \"$TRELLIS_STAGE $k\" >> \"out/$TRELLIS_STAGE.txt\"; sleep 0.02; done",
            "        echo END >> \"out/$TRELLIS_STAGE.txt\"",
        ].joined(separator: "\n") + "\n"
        var text = "name: faults\nstages:\n"
        for (id, after) in [("a", nil), ("b", "a"), ("c", "b"), ("d", nil)] as [(String, String?)] {
            text += "  \(id):\n    uses: shell\n" + (after.map { "    needs: [\($0)]\n" } ?? "") + "    with:\n      outputs: [out/\(id).txt]\n" + command
        }
        try text.write(to: root.appendingPathComponent("faults.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("pids"), withIntermediateDirectories: true)
    }

    func alive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
    }

    /// Every pid a stage command recorded.
    func stagePIDs(_ root: URL) -> [pid_t] {
        let dir = root.appendingPathComponent("pids")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).flatMap { f in
            ((try? String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
        }
    }

    func assertNoCommandRunning(_ root: URL, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(5)
        var left = stagePIDs(root).filter(alive)
        while !left.isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.02); left = left.filter(alive) }
        XCTAssertEqual(left, [], "stage commands outlived the runner", file: file, line: line)
        for pid in left { kill(pid, SIGKILL) }
    }

    /// Published files are whole or absent.
    func assertOutputsWhole(_ root: URL, file: StaticString = #filePath, line: UInt = #line) {
        let out = root.appendingPathComponent("out")
        for f in (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [] where !f.hasPrefix(".") {
            let text = (try? String(contentsOf: out.appendingPathComponent(f), encoding: .utf8)) ?? ""
            XCTAssertTrue(text.hasSuffix("END\n") && text.split(separator: "\n").count == 4, "partial out/\(f): \(text.debugDescription)",
                          file: file, line: line)
        }
    }

    func start(_ root: URL, environment: [String: String] = [:]) throws -> Process {
        try TestSupport.startTrellis(["run", "faults.yaml", "--jobs", "2", "--quiet"], cwd: root, environment: environment)
    }

    func finishCleanly(_ root: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try TestSupport.runTrellis(["run", "faults.yaml", "--jobs", "2"], cwd: root)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        assertOutputsWhole(root, file: file, line: line)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("out").path)) ?? []
        XCTAssertEqual(names.sorted(), ["a.txt", "b.txt", "c.txt", "d.txt"], "stray files in out/", file: file, line: line)
    }

    func testSIGKILLAtRandomPointsKillsStageCommandsToo() throws {
        let root = try scratchDirectory("trellis-faults")
        try writeSpec(root)
        var generator = SystemRandomNumberGenerator()
        var delays = (0..<5).map { _ in Double.random(in: 0.05...0.5, using: &generator) }
        delays.append(-1) // once while a command is known to be sleeping
        var interrupted = 0
        for delay in delays {
            let p = try start(root, environment: ["FAULT_SLEEP": delay < 0 ? "30" : "0.1"])
            if delay < 0 {
                let deadline = Date().addingTimeInterval(20)
                while stagePIDs(root).count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
                Thread.sleep(forTimeInterval: 0.05)
            } else {
                Thread.sleep(forTimeInterval: delay)
            }
            if p.isRunning { interrupted += 1 }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTAssertFalse(stagePIDs(root).isEmpty, "no stage command ever started")
            assertNoCommandRunning(root)
            assertOutputsWhole(root)
            print("kill -9 after \(delay < 0 ? "a command started sleeping" : String(format: "%.2f s", delay)): outputs whole, no command left")
        }
        XCTAssertGreaterThan(interrupted, 0, "no kill interrupted a run; the test proves nothing")
        try finishCleanly(root)
    }

    func testSIGHUPStopsTheRunLikeSIGTERM() throws {
        let root = try scratchDirectory("trellis-hup")
        try writeSpec(root)
        let p = try start(root, environment: ["FAULT_SLEEP": "30"])
        let deadline = Date().addingTimeInterval(20)
        while stagePIDs(root).count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.05)
        kill(p.processIdentifier, SIGHUP)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit, "the runner died of SIGHUP instead of handling it")
        XCTAssertNotEqual(p.terminationStatus, 0)
        assertNoCommandRunning(root)
        assertOutputsWhole(root)
        try finishCleanly(root) // the lock was released
    }

    func testFailingWritesLeaveNothingHalfWritten() throws {
        let root = try scratchDirectory("trellis-nospace")
        try writeSpec(root)
        // Each stage publishes one file and commits one record: fail the 1st, 2nd, … such write.
        var failedRuns = 0
        for n in 0..<6 {
            let r = try TestSupport.runTrellis(["run", "faults.yaml", "--jobs", "2"], cwd: root,
                                               environment: ["TRELLIS_FAULT_WRITE_AFTER": String(n)])
            if r.status == 0 { break } // every remaining write fitted the budget
            failedRuns += 1
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("disk full"), r.stderr)
            XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain"), r.stderr)
            assertOutputsWhole(root)
            assertNoCommandRunning(root)
        }
        XCTAssertGreaterThan(failedRuns, 0, "no injected failure; the test proves nothing")
        try finishCleanly(root)
    }

    func testStdoutOnAFullDiskIsAnErrorNotATrap() throws {
        let root = try scratchDirectory("trellis-full")
        try writeSpec(root)
        guard let full = FileHandle(forWritingAtPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        for args in [["plan", "faults.yaml"], ["stages"], ["--help"]] {
            let p = Process()
            p.executableURL = TestSupport.trellisBinary
            p.arguments = args
            p.currentDirectoryURL = root
            let text = try ProcessCapture.runMerged(p, stdout: full)
            XCTAssertEqual(p.terminationReason, .exit, "\(args): \(text)")
            XCTAssertEqual(p.terminationStatus, 1, "\(args): \(text)")
            XCTAssertTrue(text.contains("cannot write stdout: disk full"), "\(args): \(text)")
        }
    }

    func testFailedStagePrintsTheTailOfItsLog() throws {
        let root = try scratchDirectory("trellis-tail")
        let spec = """
        stages:
          noisy:
            uses: shell
            with:
              command: |
                seq 1 20000 | sed 's/^/log line /'
                exit 3
        """
        try spec.write(to: root.appendingPathComponent("noisy.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runTrellis(["run", "noisy.yaml"], cwd: root)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("log line 20000\n"), r.stderr)
        XCTAssertFalse(r.stderr.contains("log line 19000\n"), "the whole log was printed")
        XCTAssertTrue(r.stderr.contains("logs/noisy.log (last lines; the whole log is in that file)"), r.stderr)
    }

    func testShippedPipelineWithASpaceInTheWorkDirectory() throws {
        let root = try scratchDirectory("trellis space")
        for path in ["pipelines/fasta-stats.yaml", "samples/proteins/example.faa"] {
            let dest = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: dest.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: TestSupport.repoRoot.appendingPathComponent(path), to: dest)
        }
        let work = root.appendingPathComponent("work dir").path
        let r = try TestSupport.runTrellis(["run", "pipelines/fasta-stats.yaml", "--work-dir", work], cwd: root)
        XCTAssertEqual(r.status, 0, r.stderr)
        let counts = try String(contentsOf: root.appendingPathComponent("out/fasta-stats/residue-counts.tsv"), encoding: .utf8)
        XCTAssertEqual(counts.split(separator: "\n").count, 4, counts)
    }
}
