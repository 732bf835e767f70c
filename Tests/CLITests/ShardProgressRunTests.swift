import Foundation
import XCTest
import _TestSupport

/// `trellis run --shards N` shows a sharded stage's progress in records over the whole input
/// (`[embed] 8/40 sequences …`), not in shards.
final class ShardProgressRunTests: XCTestCase {
    func testShardedEmbedReportsSequencesOfTheWholeInput() throws {
        let dir = try TestSupport.temporaryDirectory("shard-progress")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = TestSupport.repoRoot
        try """
        name: shard-progress
        stages:
          embed:
            uses: protein.embed
            with:
              fasta: \(root.appendingPathComponent("samples/proteins/example.faa").path)
              model: \(root.appendingPathComponent("models/esm2-random-tiny").path)
              include: [mean]

        """.write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runTrellis(["run", "spec.yaml", "--shards", "4", "--jobs", "1"], cwd: dir,
                                           environment: ["NO_COLOR": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("[embed] ") && $0.contains("/40 sequences") }
        XCTAssertFalse(lines.isEmpty, "progress counts the 40 records of all shards: \(r.stderr)")
        XCTAssertFalse(r.stderr.contains("/4 shards"), "no progress in shards: \(r.stderr)")
    }
}
