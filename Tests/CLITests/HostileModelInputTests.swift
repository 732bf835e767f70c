import Foundation
import PipelineEngine
import XCTest
import _TestSupport

/// Runs scripts/probe/models-hostile.sh against the built binary: 44 hostile config.json values, lengths,
/// tokenizer files, model paths and NaN weights. Each must exit 1 or 2 with a message naming the file, key or
/// record; on the old code 16 of them crashed (SIGILL / SIGABRT) and 24 more gave unclear messages or exit 0.
final class HostileModelInputTests: XCTestCase {
    func testHostileModelInputsNeverCrash() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["scripts/probe/models-hostile.sh", TestSupport.trellisBinary.path]
        p.currentDirectoryURL = TestSupport.repoRoot
        let text = try ProcessCapture.runMerged(p)
        print(text)
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("crashed (exit >= 124): 0, unclear or missing message: 0"), text)
    }

    func testGenerateStreamsToTheOutputAndThreadsAreChecked() throws {
        let dir = try scratchDirectory("hostile-cli")
        let out = dir.appendingPathComponent("g.faa").path
        var r = try TestSupport.runTrellis(["generate", "Tests/Fixtures/models/pglm-tiny", "-n", "70", "--max-length", "4",
                                            "--output", out], cwd: TestSupport.repoRoot)
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").filter { $0.hasPrefix(">") }.count, 70)
        r = try TestSupport.runTrellis(["generate", "Tests/Fixtures/models/pglm-tiny", "-n", "0", "--output", out],
                                       cwd: TestSupport.repoRoot)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("n: must be at least 1"), r.stderr)
    }
}
