import Foundation
import PipelineEngine
import XCTest
import _TestSupport

/// Runs sharded pipelines through a real Slurm (`scripts/ci/slurm-up.sh`); skipped unless `TRELLIS_SLURM=1`.
///
/// The pipeline maps FASTA records with `fasta.filter` and a second sharded stage: `protein.embed` (the
/// sample ESM-2 model) for the main test, which must give the local run's embeddings byte for byte, and a
/// `shell` stage whose command the failure tests can rig.
final class SlurmIntegrationTests: XCTestCase {
    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["TRELLIS_SLURM"] == "1" else {
            throw XCTSkip("set TRELLIS_SLURM=1 with a running Slurm (scripts/ci/slurm-up.sh) to run the Slurm tests")
        }
        // The private cluster of scripts/ci/slurm-up.sh when the caller did not export its SLURM_CONF.
        let conf = (ProcessInfo.processInfo.environment["TRELLIS_SLURM_DIR"] ?? "/tmp/trellis-slurm") + "/slurm.conf"
        if ProcessInfo.processInfo.environment["SLURM_CONF"] == nil && FileManager.default.fileExists(atPath: conf) {
            setenv("SLURM_CONF", conf, 1)
        }
    }

    /// Sharded stages of the integration pipeline. `extra` goes into the shell command before its work.
    /// With `embed`, the second stage is a sharded `protein.embed` instead of the shell stage.
    static func spec(shards: Int, extra: String = "", retries: Int = 0, embed: Bool = false) -> String {
        let head = """
        name: slurm-it
        stages:
          keep:
            uses: fasta.filter
            shards: \(shards)
            resources:
              cpus: 1
              mem: 200M
              time: "10:00"
              partition: debug
            with:
              input: proteins.faa
              min_length: 20
              output: out/kept.faa

        """
        if embed {
            let model = TestSupport.repoRoot.appendingPathComponent("models/esm2-random-tiny").path
            return head + """
              embed:
                uses: protein.embed
                shards: \(shards)
                resources:
                  mem: 500M
                with:
                  fasta: proteins.faa
                  model: \(model)
                  layers: [0, -1]
                  include: [mean, per_token, contacts]
                  output: out/emb.safetensors

            """
        }
        return head + """
          lengths:
            uses: shell
            shards: \(shards)
            retries: \(retries)
            resources:
              mem: 100M
            with:
              records: proteins.faa
              command: |
        \(extra.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
                awk '/^>/{if(id)print id","n; id=substr($1,2); n=0; next}{n+=length($0)}END{if(id)print id","n}' "$TRELLIS_RECORDS" | sed '1i id,length' > out/lengths.csv
              outputs:
                table: out/lengths.csv

        """
    }

    /// Outputs of `spec(embed: true)`.
    static let embedOutputs = ["out/kept.faa", "out/emb.safetensors"]
    static let outputs = ["out/kept.faa", "out/lengths.csv"]

    func makeProject(records: Int = 23) throws -> URL {
        let dir = try TestSupport.temporaryDirectory("slurm-it")
        var fasta = ""
        for i in 1...records {
            let length = (i * 37) % 90 + 5
            fasta += ">seq\(i < 10 ? "0" : "")\(i)\n" + String((0..<length).map { k in Array("ACDEFGHIKLMNPQRSTVWY")[(i + k * 3) % 20] }) + "\n"
        }
        try fasta.write(to: dir.appendingPathComponent("proteins.faa"), atomically: true, encoding: .utf8)
        try "executor: slurm\npoll_interval: 1\nmarker_timeout: 2\nthrottle: 8\n"
            .write(to: dir.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        return dir
    }

    /// Runs the spec locally without shards; returns the outputs' bytes.
    func localReference(_ dir: URL, spec: String, outputs: [String] = SlurmIntegrationTests.outputs) throws -> [Data] {
        let unsharded = spec.replacingOccurrences(of: #"    shards: \d+\n"#, with: "", options: .regularExpression)
        try unsharded.write(to: dir.appendingPathComponent("local.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runTrellis(["run", "local.yaml", "--quiet", "--work-dir", ".trellis-local"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let data = try outputs.map { try Data(contentsOf: dir.appendingPathComponent($0)) }
        for o in outputs { try FileManager.default.removeItem(at: dir.appendingPathComponent(o)) }
        return data
    }

    /// The single run directory under `<work>/slurm/`.
    func slurmRunDirectory(_ work: URL) throws -> URL {
        let runs = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("slurm").path)
        XCTAssertEqual(runs.count, 1, "\(runs)")
        return work.appendingPathComponent("slurm").appendingPathComponent(runs[0])
    }

    func lines(_ url: URL) -> [String] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Checks every output against the local run's bytes; returns the `sbatch` lines of stage `lengths`.
    func lengthsSubmissionsAfterMatchingOutputs(_ dir: URL, _ expected: [Data], file: StaticString = #filePath,
                                                line: UInt = #line) throws -> [String] {
        for (path, want) in zip(Self.outputs, expected) {
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent(path)), want, "\(path) differs from the local run",
                           file: file, line: line)
        }
        return lines(try slurmRunDirectory(dir.appendingPathComponent(".trellis")).appendingPathComponent("submissions.log"))
            .filter { $0.contains("sbatch") && $0.contains("stage=lengths") }
    }

    /// Writes `spec` to spec.yaml and runs it with profile.yaml (Slurm); the run must succeed.
    func runOnSlurm(_ dir: URL, spec: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try spec.write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runTrellis(["run", "spec.yaml", "--quiet", "--profile", "profile.yaml"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    }

    /// A second run of spec.yaml reuses both stages without submitting.
    func assertRerunIsCached(_ dir: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let again = try TestSupport.runTrellis(["run", "spec.yaml", "--profile", "profile.yaml", "--quiet", "--work-dir", ".trellis"], cwd: dir)
        XCTAssertEqual(again.status, 0, again.stderr, file: file, line: line)
        XCTAssertTrue(again.stderr.contains("2 cached"), again.stderr, file: file, line: line)
    }

    func testFourShardsThroughSlurmEqualLocalRun() throws {
        let dir = try makeProject()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A protein embedding pipeline sharded 4 ways: Slurm's result must be the local run's, byte for byte.
        let spec = Self.spec(shards: 4, embed: true)
        let expected = try localReference(dir, spec: spec, outputs: Self.embedOutputs)
        try runOnSlurm(dir, spec: spec)
        for (path, want) in zip(Self.embedOutputs, expected) {
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent(path)), want, "\(path) differs from the local run")
        }
        let run = try slurmRunDirectory(dir.appendingPathComponent(".trellis"))
        let submissions = lines(run.appendingPathComponent("submissions.log"))
        XCTAssertEqual(submissions.filter { $0.contains("sbatch") }.count, 2, "one array per sharded stage: \(submissions)")
        XCTAssertTrue(submissions.allSatisfy { !$0.contains("sbatch") || $0.contains("tasks=4") }, "\(submissions)")
        XCTAssertTrue(submissions.contains { $0.contains("stage=embed") && $0.contains("mem=500M") }, "\(submissions)")
        let logs = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("logs").path)
        XCTAssertEqual(logs.count, 8, "one %A_%a.log per array task: \(logs)")
        try assertRerunIsCached(dir)
    }

    /// Unsharded stages run on Slurm too, each as one job (an array of one task), with the local run's bytes;
    /// a rerun reuses them without submitting.
    func testUnshardedStagesRunAsOneSlurmJobEach() throws {
        let dir = try makeProject()
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = try localReference(dir, spec: Self.spec(shards: 4))
        try runOnSlurm(dir, spec: Self.spec(shards: 4).replacingOccurrences(of: #"    shards: \d+\n"#, with: "", options: .regularExpression))
        let submissions = try lengthsSubmissionsAfterMatchingOutputs(dir, expected)
        XCTAssertEqual(submissions.count, 1, "\(submissions)")
        XCTAssertTrue(submissions[0].contains("attempt=1 tasks=1 shards=1 mem=100M"), "\(submissions)")
        let run = try slurmRunDirectory(dir.appendingPathComponent(".trellis"))
        XCTAssertTrue(lines(run.appendingPathComponent("submissions.log")).contains { $0.contains("stage=keep attempt=1 tasks=1") })
        try assertRerunIsCached(dir)
    }

    /// `scancel` of one running array task: only that shard is resubmitted (alone, memory doubled).
    func testCancelledArrayTaskIsResubmittedAlone() throws {
        let dir = try makeProject()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The shard holding seq07 records its Slurm task id, then waits to be killed (first attempt only).
        let hang = """
        if grep -q '^>seq07' "$TRELLIS_RECORDS" && [ ! -e "$TRELLIS_PROJECT/victim" ]; then
          echo "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}" > "$TRELLIS_PROJECT/victim.tmp"; mv "$TRELLIS_PROJECT/victim.tmp" "$TRELLIS_PROJECT/victim"
          sleep 120
        fi
        """
        let spec = Self.spec(shards: 4, extra: hang, retries: 1)
        let expected = try localReference(dir, spec: Self.spec(shards: 4))
        try spec.write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        final class Box: @unchecked Sendable { var result: (status: Int32, stdout: String, stderr: String)? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            box.result = try? TestSupport.runTrellis(["run", "spec.yaml", "--quiet", "--profile", "profile.yaml"], cwd: dir)
            done.signal()
        }.start()
        let victimFile = dir.appendingPathComponent("victim")
        var victim = ""
        for _ in 0..<2400 where victim.isEmpty {
            victim = ((try? String(contentsOf: victimFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if victim.isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        }
        XCTAssertFalse(victim.isEmpty, "the seq07 shard never started")
        let cancel = Process()
        cancel.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cancel.arguments = ["scancel", victim]
        try cancel.run()
        cancel.waitUntilExit()
        XCTAssertEqual(done.wait(timeout: .now() + 300), .success, "trellis run did not finish")
        XCTAssertEqual(box.result?.status, 0, box.result?.stderr ?? "")
        let submissions = try lengthsSubmissionsAfterMatchingOutputs(dir, expected)
        XCTAssertEqual(submissions.count, 2, "\(submissions)")
        XCTAssertTrue(submissions[0].contains("attempt=1 tasks=4"), "\(submissions)")
        XCTAssertTrue(submissions[1].contains("attempt=2 tasks=1 shards=2 mem=200M"), "only shard 2 (seq07), memory scaled: \(submissions)")
    }

    /// A shard whose command fails once (failure marker) is resubmitted alone; `executor: slurm` from the spec.
    func testFailedShardIsResubmittedAlone() throws {
        let dir = try makeProject()
        defer { try? FileManager.default.removeItem(at: dir) }
        let failOnce = """
        if grep -q '^>seq20' "$TRELLIS_RECORDS" && [ ! -e "$TRELLIS_PROJECT/failed-once" ]; then
          touch "$TRELLIS_PROJECT/failed-once"; exit 3
        fi
        """
        let expected = try localReference(dir, spec: Self.spec(shards: 4))
        let spec = "executor: slurm\n" + Self.spec(shards: 4, extra: failOnce, retries: 2)
        try spec.write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runTrellis(["run", "spec.yaml", "--quiet", "--poll-interval", "1"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let submissions = try lengthsSubmissionsAfterMatchingOutputs(dir, expected)
        XCTAssertEqual(submissions.count, 2, "\(submissions)")
        XCTAssertTrue(submissions[1].contains("attempt=2 tasks=1 shards=4 mem=200M"), "only shard 4 (seq20): \(submissions)")
    }

    /// The retry rule of `RetryTests` on Slurm: a task that always fails is submitted exactly 1 + `retries`
    /// times, as a whole stage and per shard.
    func testFailingTasksAreSubmittedOnePlusRetriesTimes() throws {
        for (retries, shards, runs) in [(2, nil, 3), (1, 2, 4)] as [(Int, Int?, Int)] {
            let dir = try makeProject()
            defer { try? FileManager.default.removeItem(at: dir) }
            try ">a\nMK\n>b\nMKV\n".write(to: dir.appendingPathComponent("in.faa"), atomically: true, encoding: .utf8)
            try RetryTests.alwaysFails(retries: retries, shards: shards)
                .write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
            let r = try TestSupport.runTrellis(["run", "spec.yaml", "--quiet", "--profile", "profile.yaml"], cwd: dir)
            XCTAssertNotEqual(r.status, 0, r.stderr)
            let attempts = lines(dir.appendingPathComponent("attempts.txt")).count
            XCTAssertEqual(attempts, runs, "retries \(retries), shards \(shards ?? 1)")
            let submitted = lines(try slurmRunDirectory(dir.appendingPathComponent(".trellis")).appendingPathComponent("submissions.log"))
                .filter { $0.contains("sbatch") }
            XCTAssertEqual(submitted.count, 1 + (shards ?? 1) * retries, "the first array, then each task alone: \(submitted)")
        }
    }

    /// `--jobs N` on Slurm caps the run's tasks in the queue (Nextflow's queueSize, Snakemake's --jobs), not
    /// the stages in flight: 4 shards with --jobs 2 go out 2 at most per submission, all 4 in the end.
    func testJobsCapsTheTasksInSlurm() throws {
        let dir = try makeProject()
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = try localReference(dir, spec: Self.spec(shards: 4))
        try Self.spec(shards: 4).write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.runTrellis(["run", "spec.yaml", "--quiet", "--profile", "profile.yaml", "--jobs", "2"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let submissions = try lengthsSubmissionsAfterMatchingOutputs(dir, expected)
        let tasks = submissions.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("tasks=") }.flatMap { Int($0.dropFirst(6)) }
        }
        XCTAssertEqual(tasks.reduce(0, +), 4, "\(submissions)")
        XCTAssertTrue(tasks.allSatisfy { $0 <= 2 }, "at most 2 tasks in Slurm at once: \(submissions)")
    }

    /// 64 shards: every poll issues one status query for the whole run (counted by a wrapper on PATH).
    func testSixtyFourShardsUseOneStatusQueryPerPoll() throws {
        let dir = try makeProject(records: 130)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let counts = dir.appendingPathComponent("calls.log")
        for tool in ["squeue", "sacct", "sbatch"] {
            let real = try which(tool)
            let wrapper = bin.appendingPathComponent(tool)
            try "#!/bin/sh\necho \(tool) >> '\(counts.path)'\nexec '\(real)' \"$@\"\n".write(to: wrapper, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        }
        let spec = """
        name: slurm-64
        stages:
          keep:
            uses: fasta.filter
            with:
              input: proteins.faa
              min_length: 20
              output: out/kept.faa

        """
        try spec.write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let local = try TestSupport.runTrellis(["run", "spec.yaml", "--quiet", "--work-dir", ".trellis-local"], cwd: dir)
        XCTAssertEqual(local.status, 0, local.stderr)
        let expected = try Data(contentsOf: dir.appendingPathComponent("out/kept.faa"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("out/kept.faa"))
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let r = try TestSupport.runTrellis(["run", "spec.yaml", "--quiet", "--executor", "slurm", "--shards", "64", "--poll-interval", "1"],
                                           cwd: dir, environment: ["PATH": path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("out/kept.faa")), expected)
        let calls = lines(counts)
        let polls = lines(try slurmRunDirectory(dir.appendingPathComponent(".trellis")).appendingPathComponent("status.log"))
        let queries = calls.filter { $0 == "squeue" || $0 == "sacct" }.count
        print("64 shards: \(polls.count) polls, \(queries) status queries, \(calls.filter { $0 == "sbatch" }.count) sbatch")
        XCTAssertEqual(calls.filter { $0 == "sbatch" }.count, 1, "one array submission")
        XCTAssertGreaterThan(polls.count, 0)
        XCTAssertEqual(queries, polls.count, "one status query per poll interval")
        XCTAssertTrue(polls[0].contains("outstanding=64"), polls[0])
    }

    /// SIGINT to `trellis run` cancels the run's jobs with `scancel --name <run id>`.
    func testInterruptCancelsTheRunsJobs() throws {
        let dir = try makeProject()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = Self.spec(shards: 4, extra: "touch \"$TRELLIS_PROJECT/started\"; sleep 120")
        try spec.write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let p = try TestSupport.startTrellis(["run", "spec.yaml", "--quiet", "--profile", "profile.yaml"], cwd: dir)
        for _ in 0..<2400 where !FileManager.default.fileExists(atPath: dir.appendingPathComponent("started").path) {
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("started").path), "no shard started")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let run = try slurmRunDirectory(dir.appendingPathComponent(".trellis"))
        XCTAssertTrue(lines(run.appendingPathComponent("submissions.log")).contains { $0.contains("scancel --name \(run.lastPathComponent)") })
        // Nothing of the run is left pending or running.
        var active: [String] = []
        for _ in 0..<50 {
            let q = Process()
            let out = Pipe()
            q.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            q.arguments = ["squeue", "--noheader", "--array", "--name", run.lastPathComponent, "--format=%i|%T"]
            q.standardOutput = out
            try q.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            q.waitUntilExit()
            active = text.split(separator: "\n").map(String.init).filter { $0.contains("RUNNING") || $0.contains("PENDING") }
            if active.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTAssertEqual(active, [], "jobs still active after Ctrl-C")
    }

    func which(_ tool: String) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw XCTSkip("\(tool) not on PATH")
    }
}
