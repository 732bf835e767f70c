import Foundation
import PipelineEngine
import _TestSupport
import XCTest

/// Sharded stages (`shards: N`, `--shards N`) give byte-identical outputs to unsharded runs, each shard is
/// its own cached unit, and the split/gather helpers keep input order.
final class ShardingTests: XCTestCase {
    /// 23 records, some wrapped over several lines, a few short ones the filter drops.
    static let fasta: String = {
        var out = ""
        for i in 1...23 {
            let length = (i * 37) % 90 + 5
            let residues = String((0..<length).map { k in Array("ACDEFGHIKLMNPQRSTVWY")[(i * 7 + k * 3) % 20] })
            out += ">seq\(i < 10 ? "0" : "")\(i) protein \(i)\n"
            var s = Substring(residues)
            while !s.isEmpty { out += s.prefix(60) + "\n"; s = s.dropFirst(60) }
        }
        return out
    }()

    static func spec(shards: Int?) -> String {
        let line = shards.map { "    shards: \($0)\n" } ?? ""
        return """
        name: shard-test
        stages:
          keep:
            uses: fasta.filter
        \(line)    with:
              input: proteins.faa
              min_length: 30
              output: out/kept.faa
          keep_internal:
            uses: fasta.filter
        \(line)    with:
              input: proteins.faa
              max_length: 60
          copy_internal:
            uses: shell
            with:
              inputs: ["${stages.keep_internal.outputs.fasta}"]
              command: |
                cp "$TRELLIS_PROJECT/${stages.keep_internal.outputs.fasta}" out/short.faa
                echo "${stages.keep.outputs.count} kept" > out/count.txt
              outputs:
                short: out/short.faa
                count: out/count.txt
          lengths:
            uses: shell
        \(line)    with:
              records: proteins.faa
              command: |
                awk '/^>/{if(id)print id","n; id=substr($1,2); n=0; next}{n+=length($0)}END{if(id)print id","n}' "$TRELLIS_RECORDS" | sed '1i id,length' > out/lengths.csv
              outputs:
                table: out/lengths.csv
          upper:
            uses: shell
        \(line)    with:
              records: names.txt
              record_format: lines
              command: tr a-z A-Z < "$TRELLIS_RECORDS" > out/names.txt
              outputs:
                names: out/names.txt
          rows:
            uses: shell
        \(line)    with:
              records: table.csv
              record_format: csv
              command: cut -d, -f2,1 "$TRELLIS_RECORDS" > out/rows.csv
              outputs:
                rows: out/rows.csv

        """
    }

    static let outputs = ["out/kept.faa", "out/short.faa", "out/count.txt", "out/lengths.csv", "out/names.txt", "out/rows.csv"]

    static func makeProject() throws -> Project {
        let p = try Project()
        try p.write("proteins.faa", Self.fasta)
        try p.write("names.txt", (1...17).map { "name\($0)\n" }.joined())
        try p.write("table.csv", "id,score,note\n" + (1...11).map { "r\($0),\($0 * 3),n\($0)\n" }.joined())
        return p
    }

    func testShardedOutputsEqualUnshardedBytes() throws {
        let reference = try Self.makeProject()
        try reference.runOK(Self.spec(shards: nil))
        let expected = Self.outputs.map { reference.read($0) }
        XCTAssertTrue(expected.allSatisfy { $0 != nil && !$0!.isEmpty })
        for n in [1, 3, 4, 7] {
            let p = try Self.makeProject()
            try p.runOK(Self.spec(shards: n))
            for (path, want) in zip(Self.outputs, expected) {
                XCTAssertEqual(p.read(path), want, "N=\(n): \(path) differs from the unsharded run")
            }
        }
    }

    func testCommandLineShardCountOverridesSpec() throws {
        let reference = try Self.makeProject()
        try reference.run(Self.spec(shards: nil))
        let p = try Self.makeProject()
        try p.runOK(Self.spec(shards: 2), shards: 5)
        for path in Self.outputs { XCTAssertEqual(p.read(path), reference.read(path), path) }
        // Five shard inputs were written for the fasta.filter stage.
        let shardDirs = try FileManager.default.contentsOfDirectory(atPath: p.work.appendingPathComponent("shards").path)
        XCTAssertTrue(shardDirs.contains { $0.hasSuffix("-of5") })
    }

    /// A shard that fails leaves the other shards' results; the next run reruns that shard only.
    func testEachShardIsItsOwnCachedUnit() throws {
        let p = try Self.makeProject()
        let spec = """
        stages:
          lengths:
            uses: shell
            shards: 4
            with:
              records: proteins.faa
              command: |
                if grep -q '^>seq07' "$TRELLIS_RECORDS" && [ ! -e "$TRELLIS_PROJECT/fixed" ]; then exit 3; fi
                grep -c '^>' "$TRELLIS_RECORDS" > out/n.txt
              outputs:
                n: out/n.txt

        """
        let first = try p.run(spec)
        XCTAssertEqual(first.statuses["lengths"], "failed")
        XCTAssertTrue(first.failures.first?.error.contains("1 of 4 shards failed") ?? false, "\(first.failures)")
        try p.write("fixed", "")
        let second = try p.run(spec)
        XCTAssertEqual(second.statuses["lengths"], "done")
        let log = try String(contentsOf: second.runDirectory.appendingPathComponent("logs/lengths.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("4 shards: 3 cached, 1 to run"), log)
        XCTAssertEqual(p.read("out/n.txt"), "6\n6\n6\n5\n")
    }

    func testSplitThenConcatenateRestoresLinesAndCSV() throws {
        let dir = try TestSupport.temporaryDirectory("split")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = dir.appendingPathComponent("a.txt")
        try "x1\nx2\r\nx3\nlast-without-newline".write(to: lines, atomically: true, encoding: .utf8)
        let csv = dir.appendingPathComponent("t.csv")
        try "h1,h2\n1,2\n3,4\n5,6\n".write(to: csv, atomically: true, encoding: .utf8)
        for n in [1, 2, 3, 4, 7] {
            let parts = (0..<n).map { dir.appendingPathComponent("p\(n)-\($0)") }
            try RecordSplitter.split(lines, into: parts, format: .lines)
            let back = dir.appendingPathComponent("back\(n).txt")
            try RecordSplitter.concatenate(parts, to: back, skipHeader: false)
            XCTAssertEqual(try Data(contentsOf: back), try Data(contentsOf: lines), "lines N=\(n)")
            try RecordSplitter.split(csv, into: parts, format: .headedLines)
            for part in parts { XCTAssertTrue(try String(contentsOf: part, encoding: .utf8).hasPrefix("h1,h2\n")) }
            try RecordSplitter.concatenate(parts, to: back, skipHeader: true)
            XCTAssertEqual(try Data(contentsOf: back), try Data(contentsOf: csv), "csv N=\(n)")
        }
    }

    /// The contiguous assignment against a naive reference: sizes differ by at most one, order kept.
    func testShardAssignmentIsContiguousAndBalanced() {
        for total in [0, 1, 5, 23, 64, 100] {
            for parts in [1, 3, 4, 7, 64] {
                let assigned = (0..<total).map { RecordSplitter.shard(ofRecord: $0, total: total, parts: parts) }
                XCTAssertEqual(assigned, assigned.sorted(), "order total=\(total) parts=\(parts)")
                var sizes = Array(repeating: 0, count: parts)
                for a in assigned { sizes[a] += 1 }
                XCTAssertLessThanOrEqual((sizes.max() ?? 0) - (sizes.min() ?? 0), 1, "balance total=\(total) parts=\(parts)")
            }
        }
    }

    func testShardsOnlyForRecordMappingStages() throws {
        let p = try Self.makeProject()
        let spec = """
        stages:
          split:
            uses: fasta.split
            shards: 3
            with:
              input: proteins.faa
              parts: 2
          keep:
            uses: fasta.filter
            shards: zero
            resources:
              mem: lots
              gpus: 1
            with:
              input: proteins.faa

        """
        XCTAssertThrowsError(try p.load(spec)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("spec.yaml:4:13") && text.contains("does not map over records"), text)
            XCTAssertTrue(text.contains("'shards' expects a whole number"), text)
            XCTAssertTrue(text.contains("'mem' expects a size"), text)
            XCTAssertTrue(text.contains("unknown resource 'gpus'"), text)
        }
    }

    func testManifestLineRoundTripsTypedParameters() throws {
        let dir = try TestSupport.temporaryDirectory("manifest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let values: [String: ParameterValue] = ["a": .int(3), "b": .float(3), "c": .string("010"), "d": .bool(false),
                                                "e": .list([.string("x"), .int(1)]), "f": .map(["k": .float(0.5)])]
        let tasks = (0..<3).map { i in
            ShardTask(stage: "s", type: "t", version: 2, index: i, count: 3, key: "k\(i)", parameters: values.mapValues(ManifestValue.init),
                      projectDirectory: "/p", input: "/in/\(i)", directory: "/d/\(i)", attempt: 1)
        }
        let url = dir.appendingPathComponent("m.jsonl")
        try ShardManifest.write(tasks, to: url)
        let back = try ShardManifest.task(at: 2, in: url)
        XCTAssertEqual(back.key, "k2")
        XCTAssertEqual(back.input, "/in/2")
        XCTAssertEqual(back.typedParameters().values, values)
        XCTAssertThrowsError(try ShardManifest.task(at: 3, in: url)) { XCTAssertTrue("\($0)".contains("line 4"), "\($0)") }
    }
}
