import Foundation
import XCTest
import _TestSupport

/// `--shape` parsing of the model and embed benchmarks, the CPU header, and `--profile` on forward, embed and
/// score (every class listed; the classes sum to at most the wall time; model loading counted apart from io).
final class BenchProfileTests: XCTestCase {
    let root = TestSupport.repoRoot
    static let classes = ["gemm", "attention scores", "softmax", "attention·V", "attention (fused)", "norms",
                          "activations", "rotary", "copies/layout", "tokenization", "model load", "io", "other"]

    func testUnknownShapeIsNamedWithTheChoices() throws {
        for (args, bad, choices) in [
            (["bench", "model", "--shape", "t6_8M,t99_9B"], "t99_9B", ["t6_8M", "t12_35M", "t30_150M", "t33_650M"]),
            (["bench", "model", "--models", "t48_15B"], "t48_15B", ["t6_8M", "t33_650M"]),
            (["bench", "model", "--decode-shape", "2B"], "2B", ["12x768", "1B"]),
            (["bench", "embed", "--shape", "esm1b"], "esm1b", ["t6_8M", "t12_35M", "t30_150M", "t33_650M"]),
        ] {
            let r = try TestSupport.runTrellis(args + ["--no-reference"])
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains("unknown value '\(bad)'"), r.stderr)
            for c in choices { XCTAssertTrue(r.stderr.contains(c), "\(c) missing: \(r.stderr)") }
        }
    }

    func testModelBenchRunsTheChosenShapeAndPrintsTheCPUHeader() throws {
        let r = try TestSupport.runTrellis(["bench", "model", "--shape", "t6_8M", "--lengths", "16", "--batches", "1,2",
                                            "--no-decode", "--no-reference", "--quick", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let keys = r.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["bench"] as? String
        }
        XCTAssertEqual(keys, ["forward/t6_8M/f32/1/16", "forward/t6_8M/f32/2/16"])
        for word in ["CPU:", "AVX2", "FMA", "AVX-512F", "AVX512_BF16", "AMX-BF16", "kernels:", "thread(s)", "load average"] {
            XCTAssertTrue(r.stderr.contains(word), "\(word) missing from the header: \(r.stderr)")
        }
        let forced = try TestSupport.runTrellis(["bench", "kernels", "--json"], environment: ["TRELLIS_NO_AVX512": "1"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(forced.stderr.contains("AVX2+FMA kernels"), forced.stderr)
        if forced.stderr.contains("AVX-512F yes") {
            XCTAssertTrue(forced.stderr.contains("ATEN_CPU_CAPABILITY=avx2"), forced.stderr)
        }
    }

    /// `--rounds N` runs the torch reference once per round right after Trellis, and every torch child gets the
    /// one OpenMP wait policy decided at start (a stand-in interpreter records its command lines).
    func testModelBenchRoundsAlternateWithTheReferenceAndPassOneWaitPolicy() throws {
        let dir = try TestSupport.temporaryDirectory("bench-rounds")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (fake, calls) = try standInReference(in: dir, printing: [
            #"{"bench":"forward","model":"t6_8M","dtype":"f32","batch":1,"length":16,"threads":1,"seconds":1.5,"tokens_per_s":10.7}"#,
        ])
        let r = try TestSupport.runTrellis(["bench", "model", "--shape", "t6_8M", "--lengths", "16", "--batches", "1",
                                            "--no-decode", "--quick", "--rounds", "3", "--threads", "1"],
                                           environment: ["TRELLIS_PYTHON": fake.path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let lines = try String(contentsOf: calls, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3, "one reference run per round: \(lines)")
        let policies = Set(lines.compactMap { $0.firstMatch(of: #/--omp-wait (active|passive)/#).map { String($0.1) } })
        XCTAssertEqual(policies.count, 1, "every round gets the same policy: \(lines)")
        XCTAssertEqual(lines.filter { $0.contains("--shape t6_8M") && $0.contains("--lengths 16") }.count, 3)
        XCTAssertTrue(r.stdout.contains("torch OpenMP wait policy: \(policies.first ?? "?")"), r.stdout)
        XCTAssertTrue(r.stdout.contains("3 round(s) per row"), r.stdout)
        XCTAssertTrue(r.stdout.contains("1.5000 s"), "the reference's best time is printed: \(r.stdout)")

        let bad = try TestSupport.runTrellis(["bench", "model", "--rounds", "0", "--no-reference"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--rounds"), bad.stderr)
    }

    /// `--decode-batches` times each batch size as its own row (batch 1 keeps its old key), asks the reference
    /// for the same batch, and pairs each row with the reference row of that batch.
    func testDecodeBatchesAreRowsOfTheirOwnMatchedToTheReference() throws {
        let dir = try TestSupport.temporaryDirectory("bench-decode-batches")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (fake, calls) = try standInReference(in: dir, printing: [
            #"{"bench":"decode","shape":"12x768","dtype":"f32","batch":1,"threads":1,"seconds":8.0,"tokens_per_s":0.25}"#,
            #"{"bench":"decode","shape":"12x768","dtype":"f32","batch":3,"threads":1,"seconds":4.0,"tokens_per_s":1.5}"#,
        ])
        let r = try TestSupport.runTrellis(["bench", "model", "--no-forward", "--decode-batches", "1,3", "--weights", "f32",
                                            "--new-tokens", "2", "--quick", "--threads", "1", "--json"],
                                           environment: ["TRELLIS_PYTHON": fake.path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let rows = r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertEqual(rows.compactMap { $0["bench"] as? String }, ["decode/12x768/f32", "decode/12x768/f32/3"])
        XCTAssertEqual(rows.compactMap { $0["torch_seconds"] as? Double }, [8.0, 4.0])
        if rows.count == 2, let one = rows[0]["tokens_per_s"] as? Double, let s1 = rows[0]["seconds"] as? Double,
           let three = rows[1]["tokens_per_s"] as? Double, let s3 = rows[1]["seconds"] as? Double {
            XCTAssertEqual(one * s1, 2, accuracy: 1e-6, "batch 1: two tokens")
            XCTAssertEqual(three * s3, 6, accuracy: 1e-6, "batch 3: two tokens for each of three sequences")
        }
        let lines = try String(contentsOf: calls, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("--decode-batches 1") }.count, 1, "\(lines)")
        XCTAssertEqual(lines.filter { $0.contains("--decode-batches 3") }.count, 1, "\(lines)")

        let bad = try TestSupport.runTrellis(["bench", "model", "--decode-batches", "2,x", "--no-reference"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--decode-batches"), bad.stderr)
    }

    /// A stand-in for the reference's python in `dir`: appends its command line to the returned `calls` file and
    /// prints `lines` (the reference's JSON rows) on stdout.
    func standInReference(in dir: URL, printing lines: [String]) throws -> (interpreter: URL, calls: URL) {
        let calls = dir.appendingPathComponent("calls.txt"), fake = dir.appendingPathComponent("python")
        let echoes = lines.map { "echo '\($0)'" }.joined(separator: "\n")
        try "#!/bin/sh\necho \"$@\" >> '\(calls.path)'\n\(echoes)\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        return (fake, calls)
    }

    /// Parses a printed profile table: class → seconds, and the wall.
    func table(_ text: String) -> (rows: [String: Double], wall: Double?) {
        var rows: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let name = String(line.prefix(20)).trimmingCharacters(in: .whitespaces)
            let fields = line.dropFirst(20).split(separator: " ")
            if let s = fields.first.flatMap({ Double($0) }) { rows[name] = s }
        }
        return (rows, rows["wall"])
    }

    func assertProfile(_ stderr: String, json: URL?, file: StaticString = #filePath, line: UInt = #line) throws {
        let (rows, wall) = table(stderr)
        for c in Self.classes + ["sum of classes", "unaccounted", "wall"] {
            XCTAssertNotNil(rows[c], "\(c) missing from: \(stderr)", file: file, line: line)
        }
        XCTAssertTrue(stderr.contains("idle threads:"), stderr, file: file, line: line)
        let sum = Self.classes.compactMap { rows[$0] }.reduce(0, +)
        XCTAssertLessThanOrEqual(sum, (wall ?? 0) + 0.002, "table rounding only", file: file, line: line)
        guard let json else { return }
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let classes = try XCTUnwrap(obj["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.compactMap { $0["class"] as? String }, Self.classes, file: file, line: line)
        let seconds = classes.compactMap { $0["seconds"] as? Double }.reduce(0, +)
        XCTAssertLessThanOrEqual(seconds, try XCTUnwrap(obj["wall_seconds"] as? Double), file: file, line: line)
        XCTAssertGreaterThan(try XCTUnwrap(classes.first { $0["class"] as? String == "gemm" }?["calls"] as? Int), 0,
                             file: file, line: line)
        // Loading the checkpoint is its own class, once; "io" is what the run reads and writes.
        XCTAssertEqual(try XCTUnwrap(classes.first { $0["class"] as? String == "model load" }?["calls"] as? Int), 1,
                       file: file, line: line)
    }

    func testProfileOnEmbedForwardAndScore() throws {
        let dir = try scratchDirectory("profile-cli")
        let json = dir.appendingPathComponent("embed-profile.json")
        var r = try TestSupport.runTrellis(["embed", "Tests/Fixtures/models/esm2-tiny", "Tests/Fixtures/protein/sequences.faa",
                                            dir.appendingPathComponent("e.safetensors").path, "--profile-json", json.path], cwd: root)
        XCTAssertEqual(r.status, 0, r.stderr)
        try assertProfile(r.stderr, json: json)

        r = try TestSupport.runTrellis(["forward", "--model", "Tests/Fixtures/models/esm2-tiny", "--input",
                                        "Tests/Fixtures/protein/sequences.faa", "--output",
                                        dir.appendingPathComponent("f.safetensors").path, "--profile"], cwd: root)
        XCTAssertEqual(r.status, 0, r.stderr)
        try assertProfile(r.stderr, json: nil)

        r = try TestSupport.runTrellis(["score", "Tests/Fixtures/models/esm2-tiny", "Tests/Fixtures/protein/wildtype.faa",
                                        "--mutations", "Tests/Fixtures/protein/mutations.csv", "--method", "wt-marginals",
                                        "--output", dir.appendingPathComponent("s.csv").path, "--profile"], cwd: root)
        XCTAssertEqual(r.status, 0, r.stderr)
        try assertProfile(r.stderr, json: nil)

        // Without --profile there is no table.
        r = try TestSupport.runTrellis(["embed", "Tests/Fixtures/models/esm2-tiny", "Tests/Fixtures/protein/sequences.faa",
                                        dir.appendingPathComponent("e2.safetensors").path], cwd: root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("unaccounted"), r.stderr)
    }

    func testProfileStageOptionWritesTheProfileOutput() throws {
        let work = try scratchDirectory("profile-stage")
        let spec = work.appendingPathComponent("p.yaml")
        try """
        name: profile-embed
        stages:
          embed:
            uses: protein.embed
            with:
              fasta: \(root.path)/Tests/Fixtures/protein/sequences.faa
              model: \(root.path)/Tests/Fixtures/models/esm2-tiny
              profile: true
              output: out/embeddings.safetensors
        """.write(to: spec, atomically: true, encoding: .utf8)
        // Run from the temporary project: outputs must stay inside the project directory.
        let r = try TestSupport.runTrellis(["run", spec.path, "--work-dir", work.appendingPathComponent("w").path], cwd: work)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let found = FileManager.default.enumerator(atPath: work.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix("profile.json") } ?? []
        XCTAssertEqual(found.count, 1, "\(found)")
        let url = work.appendingPathComponent(try XCTUnwrap(found.first))
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let classes = try XCTUnwrap(obj["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.compactMap { $0["class"] as? String }, Self.classes)
    }
}
