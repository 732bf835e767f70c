import Foundation
import XCTest
import _TestSupport

/// Kills `trellis run` with SIGKILL at several instants and checks that the next run redoes only the
/// stages that had not finished, and that no output file is ever partial.
final class KillResumeTests: XCTestCase {
    /// A chain of 5 slow shell stages plus an independent branch of 3; each output is written line by
    /// line with pauses, so a non-atomic writer would leave partial files, and ends with "END".
    func spec() -> String {
        var s = "name: killtest\nstages:\n"
        func stage(_ id: String, after: String?) {
            s += "  \(id):\n    uses: shell\n    with:\n      outputs: [out/\(id).txt]\n"
            if let after { s += "      inputs: [${stages.\(after).outputs.\(after).txt}]\n" }
            s += "      command: |\n"
            s += "        for k in 1 2 3 4 5; do echo \"\(id) line $k\" >> out/\(id).txt; sleep 0.04; done\n"
            s += "        echo END >> out/\(id).txt\n"
        }
        var previous: String?
        for i in 0..<5 { stage("c\(i)", after: previous); previous = "c\(i)" }
        previous = nil
        for i in 0..<3 { stage("p\(i)", after: previous); previous = "p\(i)" }
        return s
    }

    /// Stage ids with a committed record.
    func committed(_ work: URL) -> Set<String> {
        let dir = work.appendingPathComponent("records")
        var ids = Set<String>()
        for f in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where f.hasSuffix(".json") && !f.hasPrefix(".") {
            if let data = FileManager.default.contents(atPath: dir.appendingPathComponent(f).path),
               let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let stage = obj["stage"] as? String {
                ids.insert(stage)
            }
        }
        return ids
    }

    /// Statuses from the latest run's trace (the lines written before the kill).
    func latestTrace(_ work: URL) -> [String: String] {
        guard let text = try? String(contentsOf: work.appendingPathComponent("runs/latest/trace.jsonl"), encoding: .utf8) else { return [:] }
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
               let s = o["stage"] as? String, let st = o["status"] as? String { out[s] = st }
        }
        return out
    }

    /// Every output present is complete, and nothing else (no temp file) is in out/.
    func checkOutputs(_ root: URL, file: StaticString = #filePath, line: UInt = #line) {
        let out = root.appendingPathComponent("out")
        for f in (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [] {
            XCTAssertFalse(f.hasPrefix("."), "stray temporary file out/\(f)", file: file, line: line)
            let text = (try? String(contentsOf: out.appendingPathComponent(f), encoding: .utf8)) ?? ""
            XCTAssertTrue(text.hasSuffix("END\n"), "partial output out/\(f): \(text.debugDescription)", file: file, line: line)
            XCTAssertEqual(text.split(separator: "\n").count, 6, "out/\(f)", file: file, line: line)
        }
    }

    func testSIGKILLAtSeveralPointsThenResume() throws {
        let root = try scratchDirectory("trellis-kill")
        try spec().write(to: root.appendingPathComponent("kill.yaml"), atomically: true, encoding: .utf8)
        let work = root.appendingPathComponent(".trellis")
        var killsThatInterrupted = 0
        // Each round waits until one more stage has committed, then kills after a varying extra delay, so the
        // kills land at different points (between stages, mid-command, mid-commit) whatever the machine load.
        for extra in [0.0, 0.03, 0.08, 0.15, 0.01, 0.05] {
            let before = committed(work)
            if before.count >= 5 { break }  // leave work for the final run
            let p = try TestSupport.startTrellis(["run", "kill.yaml", "--jobs", "2", "--quiet"], cwd: root)
            let deadline = Date().addingTimeInterval(20)
            while p.isRunning && committed(work).count <= before.count && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            Thread.sleep(forTimeInterval: extra)
            if p.isRunning { killsThatInterrupted += 1 }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            checkOutputs(root)
            let after = committed(work)
            XCTAssertTrue(before.isSubset(of: after), "a finished stage was lost")
            for (stage, status) in latestTrace(work) {
                if before.contains(stage) { XCTAssertEqual(status, "cached", "\(stage) finished earlier but ran again") }
            }
        }
        XCTAssertGreaterThan(killsThatInterrupted, 0, "no run was interrupted; the test proves nothing")
        // A last run finishes the rest and reuses everything that finished before.
        let before = committed(work)
        let r = try TestSupport.runTrellis(["run", "kill.yaml", "--jobs", "2"], cwd: root)
        XCTAssertEqual(r.status, 0, r.stderr)
        let final = latestTrace(work)
        XCTAssertEqual(final.count, 8)
        for (stage, status) in final {
            XCTAssertEqual(status, before.contains(stage) ? "cached" : "done", stage)
        }
        checkOutputs(root)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("out").path).count, 8)
        print("SIGKILL test: \(killsThatInterrupted) kills interrupted a run; \(before.count) of 8 stages were finished before the last run")
    }
}
