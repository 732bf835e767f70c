import FuzzTargets
import XCTest
import _TestSupport

/// Replays every committed fuzz input (seeds and crash reproducers, `Tests/Fixtures/fuzz/<target>/`)
/// through the entry libFuzzer drives, in the normal build: each must return or throw. A reader that
/// traps on one of them kills this test process, so a reintroduced crash fails `make test`.
final class FuzzCorpusReplayTests: XCTestCase {
    func replay(_ target: FuzzTarget) throws {
        let root = TestSupport.fixtures.appendingPathComponent("fuzz/\(target.rawValue)")
        let fm = FileManager.default
        var files: [URL] = []
        for sub in ["seeds", "crashes"] {
            let dir = root.appendingPathComponent(sub)
            let names = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            files += names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
        }
        XCTAssertGreaterThanOrEqual(files.count, 3, "seed corpus of \(target.rawValue) missing under \(root.path)")
        var threw = 0
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            do { try target.run(bytes, fixtures: TestSupport.fixtures) } catch { threw += 1 }
        }
        print("fuzz replay \(target.rawValue): \(files.count) inputs, \(threw) rejected with an error, none trapped")
    }

    func testSpec() throws { try replay(.spec) }
    func testJSON() throws { try replay(.json) }
    func testFASTA() throws { try replay(.fasta) }
    func testCSV() throws { try replay(.csv) }
    func testSafetensors() throws { try replay(.safetensors) }
    func testConfig() throws { try replay(.config) }
    func testTokenizer() throws { try replay(.tokenizer) }
}
