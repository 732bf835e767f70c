import Foundation
import PipelineEngine
import XCTest

/// Runs tasks on this process's threads but, like Slurm, takes whole stages as tasks: every stage then goes
/// the way a cluster runs it (task directory, completion marker, outputs adopted by the stage job).
final class TasksOnlyExecutor: StageExecutor, @unchecked Sendable {
    let local: LocalExecutor
    private let lock = NSLock()
    private(set) var batches: [(stage: String, tasks: Int)] = []

    init(project: Project) {
        let registry = project.registry
        local = LocalExecutor(threads: 2, registry: { registry.type(named: $0) })
    }

    var runsInProcess: Bool { false }

    func run(_ batch: TaskBatch) -> [Int: String?] {
        lock.lock(); batches.append((batch.stage, batch.tasks.count)); lock.unlock()
        return local.run(batch)
    }
}

/// `test.bundle`: publishes the files of a directory it builds under one output, as model-writing stages do.
struct BundleStage: StageType {
    let name = "test.bundle"
    let version = 1
    let summary = "publish a directory's files (tests)"
    let parameters = [ParameterSpec("into", .string, required: true, doc: "directory the files are published into")]
    let outputs = [OutputSpec("files", doc: "the published files")]

    func run(_ context: StageContext) throws {
        guard let into = context.parameters.string("into") else { throw StageError("no 'into'") }
        let dir = context.scratchDirectory.appendingPathComponent("bundle")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for n in ["a", "b", "c"] { try Data("file \(n)\n".utf8).write(to: dir.appendingPathComponent(n + ".txt")) }
        try context.publishFiles("files", of: dir, into: into)
    }
}

/// One executor interface: a stage run as a task (as the Slurm executor runs every stage) gives the bytes,
/// output digests, retries and caching of the same stage run in process.
final class ExecutorTests: XCTestCase {
    /// `ShardingTests.spec` plus `fasta.split` (a list of internal files) and `table.write`, which reads its
    /// upstream stages' outputs.
    static func spec(shards: Int?) -> String {
        ShardingTests.spec(shards: shards) + "  parts:\n    uses: fasta.split\n    with:\n      input: proteins.faa\n      parts: 3\n"
            + Project.tableStage("summary", needs: ["keep", "copy_internal", "lengths", "parts"], path: "out/summary.tsv")
    }

    static let outputs = ShardingTests.outputs + ["out/summary.tsv"]

    /// Output digests by stage id, from the committed records.
    func digests(_ p: Project, _ s: RunSummary) -> [String: String] {
        let work = WorkDirectory(root: p.work)
        var out: [String: String] = [:]
        for t in s.trace { if let key = t.key, let r = work.record(key: key) { out[t.stage] = r.outputDigest } }
        return out
    }

    func testWholeStagesAsTasksEqualInProcessRun() throws {
        for shards in [nil, 3] {
            let reference = try ShardingTests.makeProject()
            let local = try reference.runOK(Self.spec(shards: shards))
            let p = try ShardingTests.makeProject()
            let executor = TasksOnlyExecutor(project: p)
            let s = try p.runOK(Self.spec(shards: shards), executor: executor)
            for path in Self.outputs {
                XCTAssertNotNil(p.read(path), path)
                XCTAssertEqual(p.read(path), reference.read(path), "shards \(shards ?? 0): \(path) differs from the in-process run")
            }
            XCTAssertEqual(digests(p, s), digests(reference, local), "shards \(shards ?? 0)")
            XCTAssertEqual(digests(p, s).count, 8)
            // Every stage went through the executor: one task per whole stage, N per sharded stage.
            var tasks: [String: Int] = [:]
            for b in executor.batches { tasks[b.stage, default: 0] += b.tasks }
            XCTAssertEqual(tasks["summary"], 1)
            XCTAssertEqual(tasks["copy_internal"], 1)
            XCTAssertEqual(tasks["keep"], shards ?? 1)
            XCTAssertEqual(tasks["parts"], 1)
            XCTAssertEqual(tasks.count, 8, "\(tasks)")
            // A second run reuses every record without a task.
            let again = TasksOnlyExecutor(project: p)
            let second = try p.run(Self.spec(shards: shards), executor: again)
            XCTAssertEqual(second.count("cached"), 8)
            XCTAssertTrue(again.batches.isEmpty, "\(again.batches)")
        }
    }

    /// A whole-stage task that fails is retried by the executor (the stage's `retries`); one that fails every
    /// time fails the stage with the task's error, and publishes nothing.
    func testWholeStageTaskRetriesAndFailures() throws {
        let p = try Project()
        let flaky = try p.run(RunTests.flaky, executor: TasksOnlyExecutor(project: p))
        XCTAssertEqual(flaky.statuses, ["flaky": "done"])
        XCTAssertEqual(p.read("out/r.txt"), "ok\n")
        let log = try String(contentsOf: p.root.appendingPathComponent(flaky.trace[0].log ?? "-"), encoding: .utf8)
        XCTAssertTrue(log.contains("first try fails") && log.contains("error: stage flaky: command exited with status 3")
                      && log.contains("stage flaky attempt 2"), log)
        let broken = try p.run(RunTests.twoBranches, jobs: 1, executor: TasksOnlyExecutor(project: p))
        XCTAssertEqual(broken.statuses, ["bad": "failed", "after_bad": "skipped", "good": "cancelled"])
        XCTAssertEqual(broken.failures.map(\.error), ["command exited with status 7"])
        XCTAssertFalse(p.exists("out/partial.txt"), "a failed task must not publish its partial output")
    }

    /// Several files published under one output name (a model directory) all arrive through a task.
    func testSeveralFilesUnderOneOutputThroughATask() throws {
        let p = try Project()
        p.registry.register(BundleStage())
        let s = try p.runOK("stages:\n  b:\n    uses: test.bundle\n    with:\n      into: out/bundle\n",
                            executor: TasksOnlyExecutor(project: p))
        XCTAssertEqual(s.statuses, ["b": "done"])
        for n in ["a", "b", "c"] { XCTAssertEqual(p.read("out/bundle/\(n).txt"), "file \(n)\n", n) }
    }
}
