import Foundation
import XCTest
import _TestSupport

/// Ctrl-C during a local `trellis run`: running commands (and what they started) are stopped, partial
/// outputs are removed, finished stages stay committed, and the exit status is 130.
final class InterruptTests: XCTestCase {
    func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        // A zombie waiting for its new parent to reap it counts as gone.
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
    }

    func testSIGINTStopsRunningCommandsAndRemovesPartialOutputs() throws {
        let root = try scratchDirectory("trellis-interrupt")
        let spec = """
        name: interrupt
        stages:
          quick:
            uses: shell
            with:
              command: echo done > out/quick.txt
              outputs: [out/quick.txt]
          slow:
            uses: shell
            needs: [quick]
            with:
              outputs: [out/slow.txt]
              command: |
                echo partial > out/slow.txt
                sleep 60 &
                echo $! > "$TRELLIS_PROJECT/sleep.pid"
                echo $$ > "$TRELLIS_PROJECT/bash.pid"
                wait

        """
        try spec.write(to: root.appendingPathComponent("interrupt.yaml"), atomically: true, encoding: .utf8)
        let p = try TestSupport.startTrellis(["run", "interrupt.yaml", "--jobs", "2", "--quiet"], cwd: root)
        let bashFile = root.appendingPathComponent("bash.pid")
        var deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: bashFile.path) && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        Thread.sleep(forTimeInterval: 0.1)  // the pid files are complete
        let sleepPID = pid_t(try String(contentsOf: root.appendingPathComponent("sleep.pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let bashPID = pid_t(try String(contentsOf: bashFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertGreaterThan(sleepPID, 0)
        XCTAssertGreaterThan(bashPID, 0)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        deadline = Date().addingTimeInterval(10)
        while (alive(sleepPID) || alive(bashPID)) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertFalse(alive(bashPID), "the stage's command still runs after the interrupt")
        XCTAssertFalse(alive(sleepPID), "a process the command started still runs after the interrupt")
        if alive(sleepPID) { kill(sleepPID, SIGKILL) }
        XCTAssertEqual(try String(contentsOf: root.appendingPathComponent("out/quick.txt"), encoding: .utf8), "done\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("out/slow.txt").path))
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(".trellis/tmp").path)) ?? []
        XCTAssertEqual(scratch, [], "partial outputs left in the scratch space")
        // The next run reuses the finished stage.
        let again = try TestSupport.runTrellis(["plan", "interrupt.yaml"], cwd: root)
        XCTAssertTrue(again.stdout.contains("1 to run, 1 cached"), again.stdout)
    }
}
