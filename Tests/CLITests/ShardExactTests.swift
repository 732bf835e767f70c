import Foundation
import XCTest
import _TestSupport

/// `trellis run --shards N` of protein.embed and protein.score gives the unsharded run's files byte for byte
/// (each shard batches its own records, so this holds only because a sequence's numbers do not depend on
/// its batch), for both model families.
final class ShardExactTests: XCTestCase {
    /// Both model families × (`embed` of every record of the sample FASTA, `score` of the shortest ones: PLL is
    /// one forward per residue).
    static func spec(root: URL) -> String {
        var yaml = "name: shard-exact\nstages:\n"
        for (family, model, features) in [("esm", "esm2-random-tiny", "mean, per_token, bos, contacts"),
                                          ("pglm", "pglm-random-tiny", "mean, per_token")] {
            let path = root.appendingPathComponent("models/\(model)").path
            yaml += TestSupport.stageYAML("\(family)_embed", uses: "protein.embed", with: [
                "fasta": "proteins.faa", "model": path, "layers": "[0, -1]", "include": "[\(features)]",
                "output": "out/\(family).safetensors"])
            yaml += TestSupport.stageYAML("\(family)_score", uses: "protein.score", with: [
                "fasta": "short.faa", "model": path, "output": "out/\(family)-scores.csv"])
        }
        return yaml
    }

    static let outputs = ["out/esm.safetensors", "out/esm-scores.csv", "out/pglm.safetensors", "out/pglm-scores.csv"]

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
