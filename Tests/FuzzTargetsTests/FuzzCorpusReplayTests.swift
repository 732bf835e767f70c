import FuzzTargets
import PipelineEngine
import XCTest
import _TestSupport

/// Replays every committed fuzz input (`Tests/Fixtures/fuzz/<target>/seeds` and `crashes`) through the
/// entry libFuzzer drives, in the normal build: each must return or throw, never trap.
///
/// Seeds run in this process. Crash reproducers run one per child process (this test binary again, with
/// `TRELLIS_FUZZ_REPLAY` naming the file), so a reader that traps again fails the test with the file
/// name and the runtime's message instead of killing the whole test run.
final class FuzzCorpusReplayTests: XCTestCase {
    static let replayVariable = "TRELLIS_FUZZ_REPLAY"

    func inputs(_ target: FuzzTarget, _ sub: String) -> [URL] {
        let dir = TestSupport.fixtures.appendingPathComponent("fuzz/\(target.rawValue)/\(sub)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    func replay(_ target: FuzzTarget) throws {
        let seeds = inputs(target, "seeds")
        XCTAssertGreaterThanOrEqual(seeds.count, 3, "seed corpus of \(target.rawValue) missing")
        var threw = 0
        for file in seeds {
            do { try target.run([UInt8](Data(contentsOf: file)), fixtures: TestSupport.fixtures) } catch { threw += 1 }
        }
        let crashes = inputs(target, "crashes")
        for file in crashes { try replayInChild(target, file) }
        print("fuzz replay \(target.rawValue): \(seeds.count) seeds (\(threw) rejected with an error), "
              + "\(crashes.count) crash reproducers replayed in child processes")
    }

    /// Runs one reproducer in a child process and fails unless the child exits normally.
    func replayInChild(_ target: FuzzTarget, _ file: URL) throws {
        #if os(Linux)
        let child = Process()
        // Under a 4 GiB address-space limit: an OOM reproducer (a size from the input allocated before it
        // is checked) then fails its allocation instead of taking the machine's memory.
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "ulimit -v 4194304 && exec \"$0\" \"$1\"",
                           CommandLine.arguments[0], "FuzzTargetsTests.FuzzCorpusReplayTests/testReplayChild"]
        var env = ProcessInfo.processInfo.environment
        env[Self.replayVariable] = "\(target.rawValue):\(file.path)"
        env["SWIFT_BACKTRACE"] = "enable=no"
        child.environment = env
        let text = try ProcessCapture.runMerged(child)
        if child.terminationReason != .exit || child.terminationStatus != 0 {
            let why = text.split(separator: "\n").filter { !$0.hasPrefix("Test ") }.suffix(2)
            XCTFail("\(target.rawValue) reproducer \(file.lastPathComponent) "
                    + "\(child.terminationReason == .exit ? "exited \(child.terminationStatus)" : "trapped (signal \(child.terminationStatus))"): "
                    + why.joined(separator: " | "))
        }
        #else
        _ = try? target.run([UInt8](Data(contentsOf: file)), fixtures: TestSupport.fixtures)
        #endif
    }

    /// The child side of `replayInChild`; skipped unless `TRELLIS_FUZZ_REPLAY` is `target:path`.
    func testReplayChild() throws {
        guard let spec = ProcessInfo.processInfo.environment[Self.replayVariable],
              let colon = spec.firstIndex(of: ":"),
              let target = FuzzTarget(rawValue: String(spec[..<colon])) else {
            throw XCTSkip("runs only as the child of a crash-reproducer replay")
        }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: String(spec[spec.index(after: colon)...]))))
        _ = try? target.run(bytes, fixtures: TestSupport.fixtures)
    }

    func testSpec() throws { try replay(.spec) }
    func testJSON() throws { try replay(.json) }
    func testFASTA() throws { try replay(.fasta) }
    func testCSV() throws { try replay(.csv) }
    func testSafetensors() throws { try replay(.safetensors) }
    func testConfig() throws { try replay(.config) }
    func testTokenizer() throws { try replay(.tokenizer) }
}
