import Foundation
import PipelineEngine
import XCTest

/// Leftovers of earlier runs: `trellis clean` on shard and Slurm directories, temporary directories of
/// killed shard tasks, and what a stage's command inherits from the runner.
final class HousekeepingTests: XCTestCase {
    static let records = ">a\nAC\n>b\nDE\n>c\nFG\n>d\nHI\n"

    static func spec(command: String) -> String {
        """
        name: house
        stages:
          count:
            uses: shell
            shards: 2
            with:
              records: proteins.faa
              command: \(command)
              outputs:
                n: out/n.txt

        """
    }

    /// A project holding the four records `spec` shards.
    func project() throws -> Project {
        let p = try Project()
        try p.write("proteins.faa", Self.records)
        return p
    }

    func shardEntries(_ p: Project) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: p.work.appendingPathComponent("shards").path)) ?? [])
    }

    func testCleanRemovesShardDirectoriesOfOldKeysAndOldSlurmRuns() throws {
        let p = try project()
        let old = Self.spec(command: "grep -c '^>' \"$TRELLIS_RECORDS\" > out/n.txt")
        XCTAssertEqual(try p.run(old).statuses["count"], "done")
        let oldEntries = shardEntries(p)
        XCTAssertEqual(oldEntries.count, 3, "one batch directory and two shard directories: \(oldEntries)")
        let new = Self.spec(command: "grep -c '^>' \"$TRELLIS_RECORDS\" > out/n.txt; true")
        XCTAssertEqual(try p.run(new).statuses["count"], "done")
        let newEntries = shardEntries(p).subtracting(oldEntries)
        XCTAssertEqual(newEntries.count, 3, "\(newEntries)")
        // Two Slurm run directories: the older one goes, the newest stays.
        let slurm = p.work.appendingPathComponent("slurm")
        for (name, age) in [("trellis-old", 100.0), ("trellis-new", 0.0)] {
            let dir = slurm.appendingPathComponent(name).appendingPathComponent("logs")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)],
                                                  ofItemAtPath: dir.deletingLastPathComponent().path)
        }
        let dry = try Cleaner.clean(workDirectory: p.work, keeping: [p.load(new)], dryRun: true, projectDirectory: p.root)
        XCTAssertEqual(shardEntries(p).count, 6, "a dry run removes nothing")
        XCTAssertTrue(dry.removed.contains { $0.hasSuffix("slurm/trellis-old") }, "\(dry.removed)")
        _ = try Cleaner.clean(workDirectory: p.work, keeping: [p.load(new)], dryRun: false, projectDirectory: p.root)
        XCTAssertEqual(shardEntries(p), newEntries)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: slurm.path), ["trellis-new"])
        // The kept shards are still the current stage's: a fresh output run reuses them all.
        try FileManager.default.removeItem(at: p.work.appendingPathComponent("records"))
        let again = try p.run(new)
        let log = try String(contentsOf: again.runDirectory.appendingPathComponent("logs/count.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("2 shards: 2 cached, 0 to run"), log)
    }

    func testCleanKeepsShardsOfAnInterruptedStage() throws {
        let p = try project()
        // Shard 2 fails, so the stage never commits; shard 1's directory must survive a clean.
        let spec = Self.spec(command: "if grep -q '^>d' \"$TRELLIS_RECORDS\"; then exit 3; fi; grep -c '^>' \"$TRELLIS_RECORDS\" > out/n.txt")
        XCTAssertEqual(try p.run(spec).statuses["count"], "failed")
        let before = shardEntries(p)
        _ = try Cleaner.clean(workDirectory: p.work, keeping: [p.load(spec)], dryRun: false, projectDirectory: p.root)
        XCTAssertEqual(shardEntries(p), before)
    }

    func testKilledShardTemporaryDirectoriesAreRemovedOnTheNextRun() throws {
        let p = try project()
        let spec = Self.spec(command: "if [ ! -e \"$TRELLIS_PROJECT/ok\" ]; then exit 3; fi; grep -c '^>' \"$TRELLIS_RECORDS\" > out/n.txt")
        XCTAssertEqual(try p.run(spec).statuses["count"], "failed")
        // What a task killed with SIGKILL leaves: its temporary directory inside the shard directory.
        let shards = p.work.appendingPathComponent("shards")
        let shardDirs = shardEntries(p).filter { !$0.contains("-of") }
        XCTAssertEqual(shardDirs.count, 2)
        for d in shardDirs {
            try FileManager.default.createDirectory(at: shards.appendingPathComponent(d).appendingPathComponent("tmp-1-99999-1/.trellis-out"),
                                                    withIntermediateDirectories: true)
        }
        try p.write("ok", "")
        XCTAssertEqual(try p.run(spec).statuses["count"], "done")
        for d in shardDirs {
            let left = try FileManager.default.contentsOfDirectory(atPath: shards.appendingPathComponent(d).path).filter { $0.hasPrefix("tmp-") }
            XCTAssertEqual(left, [], d)
        }
        XCTAssertEqual(p.read("out/n.txt"), "2\n2\n")
    }

    func testCommandsStartWithDefaultSignalDispositions() throws {
        // The CLI ignores SIGINT while its Ctrl-C handler runs; commands must not inherit that.
        let previous = signal(SIGINT, SIG_IGN)
        defer { signal(SIGINT, previous) }
        let p = try Project()
        let spec = """
        stages:
          sig:
            uses: shell
            with:
              command: grep -E '^(SigIgn|SigBlk)' /proc/self/status > out/sig.txt
              outputs: [out/sig.txt]

        """
        XCTAssertEqual(try p.run(spec).statuses["sig"], "done")
        let text = try XCTUnwrap(p.read("out/sig.txt"))
        for line in text.split(separator: "\n") {
            let mask = UInt64(line.split(separator: "\t").last.map(String.init) ?? "", radix: 16)
            // Signals 1–31 only: glibc keeps two real-time signals for itself whatever the spawn asks.
            XCTAssertEqual(mask.map { $0 & 0x7FFF_FFFF }, 0, "no signal ignored or blocked in the command: \(line)")
        }
    }
}
