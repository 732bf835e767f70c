import Foundation
import PipelineEngine
import XCTest
import _TestSupport

/// One retry rule for every way a stage runs: a stage that always fails runs exactly 1 + `retries` times,
/// whole in this process, as one executor task, or per shard. (Slurm: `SlurmIntegrationTests`.)
final class RetryTests: XCTestCase {
    /// Appends a line to attempts.txt per attempt, then fails.
    static func alwaysFails(retries: Int, shards: Int? = nil) -> String {
        "stages:\n  broken:\n    uses: shell\n    retries: \(retries)\n" + (shards.map { "    shards: \($0)\n" } ?? "")
            + "    with:\n" + (shards == nil ? "" : "      records: in.faa\n")
            + "      outputs: [out/x.txt]\n      command: |\n        echo attempt >> \"$TRELLIS_PROJECT/attempts.txt\"; exit 5\n"
    }

    func attempts(_ p: Project) -> Int { (p.read("attempts.txt") ?? "").split(separator: "\n").count }

    func testPolicyRunsOnePlusRetriesAttemptsAndNotesAllButTheLast() {
        var notes: [String] = [], calls = 0
        let none: Int? = RetryPolicy(retries: 2).run("task t", note: { notes.append($0) }, { _ in
            calls += 1
            throw StageError("boom \(calls)")
        }, failed: { _, e in "\(e)" })
        XCTAssertNil(none)
        XCTAssertEqual(calls, 3)
        XCTAssertEqual(notes.count, 2)
        XCTAssertTrue(notes[1].hasPrefix("task t failed (attempt 2 of 3): "), notes[1])
        let second = RetryPolicy(retries: 5).run("t", note: { notes.append($0) }, { attempt -> Int in
            if attempt < 2 { throw StageError("first fails") }
            return attempt
        }, failed: { _, _ in "x" })
        XCTAssertEqual(second, 2)
        XCTAssertEqual(RetryPolicy(retries: -3).attempts, 1)
        XCTAssertFalse(RetryPolicy.once.retries(after: 1))
    }

    func testWholeStageInProcessRunsOnePlusRetriesTimes() throws {
        let p = try Project()
        let r = try p.run(Self.alwaysFails(retries: 2))
        XCTAssertEqual(r.statuses, ["broken": "failed"])
        XCTAssertEqual(attempts(p), 3)
        XCTAssertEqual(r.trace[0].attempts, 3)
    }

    func testWholeStageAsAnExecutorTaskRunsOnePlusRetriesTimes() throws {
        let p = try Project()
        let r = try p.run(Self.alwaysFails(retries: 2), executor: TasksOnlyExecutor(project: p))
        XCTAssertEqual(r.statuses, ["broken": "failed"])
        XCTAssertEqual(attempts(p), 3, "the executor retries the task; the stage job must not retry it again")
    }

    func testEachShardRunsOnePlusRetriesTimes() throws {
        let p = try Project()
        try p.write("in.faa", ">a\nMK\n>b\nMKV\n")
        let r = try p.run(Self.alwaysFails(retries: 1, shards: 2))
        XCTAssertEqual(r.statuses, ["broken": "failed"])
        XCTAssertEqual(attempts(p), 4, "2 shards × (1 + 1 retry)")
    }
}
