import Foundation
import CLISupport
import PipelineEngine

/// Workloads for `trellis bench engine`: planning a large generated DAG and running many trivial stages.
public enum EngineBenchmark {
    /// `bench.noop`: an in-process stage that does nothing but produce a text output (pure engine overhead).
    public struct NoopStage: StageType {
        public let name = "bench.noop"
        public let version = 1
        public let summary = "does nothing (engine benchmark)"
        public let parameters = [ParameterSpec("value", .int, default: .int(0), doc: "any number; part of the key")]
        public let outputs = [OutputSpec("value", doc: "the value, as text")]
        public init() {}
        public func run(_ context: StageContext) throws {
            context.output("value", text: context.parameters.string("value") ?? "")
        }
    }

    /// A registry with the generic stages plus `bench.noop`.
    public static func registry() -> StageRegistry {
        let r = StageRegistry.withGenericStages()
        r.register(NoopStage())
        return r
    }

    /// A spec of `stages` noop stages in layers of `width`: stage i needs stage i-width, and every tenth
    /// stage also references the output of stage i-1 (an implied edge).
    public static func layeredSpec(stages: Int, width: Int = 100) -> String {
        var s = "# generated: \(stages) stages\nname: bench-plan\nparams:\n  base: 1\nstages:\n"
        s.reserveCapacity(stages * 90)
        for i in 0..<stages {
            s += "  s\(i):\n    uses: bench.noop\n"
            if i >= width { s += "    needs: [s\(i - width)]\n" }
            if i % 10 == 9 { s += "    with:\n      value: ${stages.s\(i - 1).outputs.value}\n" }
            else { s += "    with:\n      value: \(i)\n" }
        }
        return s
    }

    /// `n` independent trivial stages: `shell` stages writing one small file each, or `bench.noop`.
    public static func trivialSpec(stages n: Int, shell: Bool) -> String {
        var s = "name: bench-trivial\nstages:\n"
        for i in 0..<n {
            if shell {
                s += "  t\(i):\n    uses: shell\n    with:\n      command: echo \(i) > out/\(i).txt\n      outputs: [out/\(i).txt]\n"
            } else {
                s += "  t\(i):\n    uses: bench.noop\n    with:\n      value: \(i)\n"
            }
        }
        return s
    }

    public struct PlanResult: Sendable {
        public var stages: Int
        public var parseAndValidateSeconds: Double
        public var planSeconds: Double
        public var peakRSSBeforeMB: Double
        public var peakRSSAfterMB: Double
    }

    /// Parses, validates and plans a generated `stages`-stage DAG against an empty work directory.
    public static func planLarge(stages: Int, workDirectory: URL) throws -> PlanResult {
        let text = layeredSpec(stages: stages)
        let before = Double(ResourceUsage.processPeakRSSKB()) / 1024
        let t0 = ResourceUsage.now()
        let pipeline = try PipelineLoader(registry: registry(), projectDirectory: workDirectory)
            .load(text: text, file: "bench.yaml")
        let t1 = ResourceUsage.now()
        let plan = try Planner.plan(pipeline, workDirectory: workDirectory, projectDirectory: workDirectory)
        let t2 = ResourceUsage.now()
        precondition(plan.count == stages)
        return PlanResult(stages: stages, parseAndValidateSeconds: t1 - t0, planSeconds: t2 - t1, peakRSSBeforeMB: before,
                          peakRSSAfterMB: Double(ResourceUsage.processPeakRSSKB()) / 1024)
    }

    /// Runs `n` trivial stages in `directory` with `jobs` in parallel; returns wall seconds of a fresh run
    /// and of a second, fully cached run.
    public static func runTrivial(stages n: Int, shell: Bool, jobs: Int, directory: URL) throws -> (fresh: Double, cached: Double) {
        let pipeline = try PipelineLoader(registry: registry(), projectDirectory: directory)
            .load(text: trivialSpec(stages: n, shell: shell), file: "trivial.yaml")
        var options = RunOptions(workDirectory: directory.appendingPathComponent(".trellis"), projectDirectory: directory)
        options.jobs = jobs
        options.progress = .quiet
        let t0 = ResourceUsage.now()
        let first = try PipelineRunner(pipeline: pipeline, options: options).run()
        let t1 = ResourceUsage.now()
        guard first.count("done") == n else { throw StageError("benchmark run failed: \(first.failures.first?.error ?? "?")") }
        let second = try PipelineRunner(pipeline: pipeline, options: options).run()
        let t2 = ResourceUsage.now()
        guard second.count("cached") == n else { throw StageError("benchmark rerun did not reuse every stage") }
        return (t1 - t0, t2 - t1)
    }

    /// The floor for shell stages: the same `n` commands spawned directly (bash -e -o pipefail, output to a
    /// file, reaped with wait4) on `jobs` threads, with no engine at all. Returns wall seconds.
    public static func spawnFloor(stages n: Int, jobs: Int, directory: URL) throws -> Double {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("out"), withIntermediateDirectories: true)
        let next = Counter()
        let t0 = ResourceUsage.now()
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            while true {
                let i = next.take()
                guard i < n else { return }
                let fd = open(directory.appendingPathComponent("log\(i)").path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                _ = try? ChildProcess.run(script: "echo \(i) > out/\(i).txt", directory: directory, logDescriptor: fd, environment: ["TRELLIS_STAGE": "x"])
                close(fd)
            }
        }
        return ResourceUsage.now() - t0
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func take() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
    }
}
