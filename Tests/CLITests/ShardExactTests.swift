import Foundation
import XCTest
import _TestSupport

/// `trellis run --shards N` of protein.embed and protein.score gives the unsharded run's files byte for byte
/// (each shard batches its own records, so this holds only because a sequence's numbers do not depend on
/// its batch), for both model families.
final class ShardExactTests: XCTestCase {
    /// `embed` maps every record of the sample FASTA; `score` the shortest ones (PLL is one forward per residue).
    static func spec(root: URL) -> String {
        let esm = root.appendingPathComponent("models/esm2-random-tiny").path
        let pglm = root.appendingPathComponent("models/pglm-random-tiny").path
        return """
        name: shard-exact
        stages:
          esm_embed:
            uses: protein.embed
            with:
              fasta: proteins.faa
              model: \(esm)
              layers: [0, -1]
              include: [mean, per_token, bos, contacts]
              output: out/esm.safetensors
          pglm_embed:
            uses: protein.embed
            with:
              fasta: proteins.faa
              model: \(pglm)
              layers: [0, -1]
              include: [mean, per_token]
              output: out/pglm.safetensors
          esm_score:
            uses: protein.score
            with:
              fasta: short.faa
              model: \(esm)
              output: out/esm-scores.csv
          pglm_score:
            uses: protein.score
            with:
              fasta: short.faa
              model: \(pglm)
              output: out/pglm-scores.csv

        """
    }

    static let outputs = ["out/esm.safetensors", "out/pglm.safetensors", "out/esm-scores.csv", "out/pglm-scores.csv"]

    func testShardedProteinRunsEqualUnshardedBytes() throws {
        let root = TestSupport.repoRoot
        let dir = try scratchDirectory("shard-exact")
        let text = try String(contentsOf: root.appendingPathComponent("samples/proteins/example.faa"), encoding: .utf8)
        // Records as (header, sequence); the 9 shortest (66–142 residues), in file order, for scoring.
        var records: [(String, String)] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix(">") { records.append((String(line), "")) } else { records[records.count - 1].1 += line }
        }
        let cutoff = records.map(\.1.count).sorted()[8]
        let short = records.filter { $0.1.count <= cutoff }.map { "\($0.0)\n\($0.1)\n" }.joined()
        try text.write(to: dir.appendingPathComponent("proteins.faa"), atomically: true, encoding: .utf8)
        try short.write(to: dir.appendingPathComponent("short.faa"), atomically: true, encoding: .utf8)
        try Self.spec(root: root).write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)

        func run(shards: Int?) throws -> [Data] {
            var args = ["run", "spec.yaml", "--quiet", "--work-dir", ".trellis-\(shards ?? 0)"]
            if let shards { args += ["--shards", String(shards)] }
            let r = try TestSupport.runTrellis(args, cwd: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            let data = try Self.outputs.map { try Data(contentsOf: dir.appendingPathComponent($0)) }
            for o in Self.outputs { try FileManager.default.removeItem(at: dir.appendingPathComponent(o)) }
            return data
        }
        let expected = try run(shards: nil)
        for n in [1, 3, 4, 7] {
            let got = try run(shards: n)
            for (i, path) in Self.outputs.enumerated() {
                XCTAssertEqual(got[i], expected[i], "\(path) with --shards \(n) differs from the unsharded run")
            }
        }
    }
}
