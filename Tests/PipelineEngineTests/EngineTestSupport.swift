import Foundation
import PipelineEngine
import SequenceStages
import XCTest
import _TestSupport

/// `test.copy`: copies its input and appends `suffix`; its version is chosen by the test.
struct CopyStage: StageType {
    let name = "test.copy"
    var version = 1
    let summary = "copy a file (tests)"
    let parameters: [ParameterSpec] = [
        ParameterSpec("input", .path, required: true, doc: "file to copy"),
        ParameterSpec("suffix", .string, default: .string(""), doc: "text appended"),
        ParameterSpec("model", .model, doc: "a model directory (only digested)"),
        ParameterSpec("publish", .outputPath, doc: "also publish the copy here"),
    ]
    let outputs = [OutputSpec("file", doc: "the copy")]

    func run(_ context: StageContext) throws {
        let p = context.parameters
        var data = try Data(contentsOf: p.url("input")!)
        data.append(Data((p.string("suffix") ?? "").utf8))
        if let path = p.string("publish") {
            try data.write(to: context.publish("file", to: path))
        } else {
            try data.write(to: context.output("file", file: "copy.txt"))
        }
        context.progress(done: 1, total: 1)
    }
}

/// A temporary project directory with helpers to write specs, load, plan and run them.
final class Project {
    let root: URL
    var registry: StageRegistry

    init(version: Int = 1) throws {
        root = try FileManager.default.url(for: .itemReplacementDirectory, in: .userDomainMask,
                                           appropriateFor: URL(fileURLWithPath: NSTemporaryDirectory()), create: true)
            .appendingPathComponent("proj")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        registry = StageRegistry.forEngineTests()
        registry.register(CopyStage(version: version))
    }

    deinit { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }

    func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func read(_ relative: String) -> String? {
        try? String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent(relative).path) }

    func load(_ spec: String, overrides: [String] = []) throws -> Pipeline {
        try PipelineLoader(registry: registry, projectDirectory: root).load(text: spec, file: "spec.yaml", overrides: overrides)
    }

    var work: URL { root.appendingPathComponent(".trellis") }

    /// `stage: action reasons` lines.
    func plan(_ spec: String, overrides: [String] = []) throws -> [String: String] {
        let entries = try Planner.plan(load(spec, overrides: overrides), workDirectory: work, projectDirectory: root)
        var out: [String: String] = [:]
        for e in entries { out[e.stage] = e.action.rawValue + ": " + e.reasons.joined(separator: "; ") }
        return out
    }

    @discardableResult
    func run(_ spec: String, overrides: [String] = [], jobs: Int = 2, keepGoing: Bool = false, shards: Int? = nil,
             executor: StageExecutor? = nil) throws -> RunSummary {
        var options = RunOptions(workDirectory: work, projectDirectory: root)
        options.jobs = jobs
        options.keepGoing = keepGoing
        options.progress = .quiet
        options.shards = shards
        options.executor = executor
        return try PipelineRunner(pipeline: load(spec, overrides: overrides), options: options).run()
    }

    /// `run`, failing the test with the stages' errors unless every stage finished (done or cached).
    @discardableResult
    func runOK(_ spec: String, overrides: [String] = [], jobs: Int = 2, shards: Int? = nil, executor: StageExecutor? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws -> RunSummary {
        let r = try run(spec, overrides: overrides, jobs: jobs, shards: shards, executor: executor)
        XCTAssertTrue(r.succeeded, "\(r.failures)", file: file, line: line)
        return r
    }
}

extension Project {
    /// A `table.write` stage for the end of a spec's `stages:`: one row per output of the stages it needs.
    static func tableStage(_ name: String, needs: [String], path: String) -> String {
        "\n" + TestSupport.stageYAML(name, uses: "table.write", needs: needs, with: ["path": path])
    }
}

/// Fails unless `p`'s DOT drawing has every line of `dot` and none of `notDot`, and its Mermaid drawing
/// every text of `mermaid`.
func assertDrawings(_ p: Pipeline, dot: [String], notDot: [String] = [], mermaid: [String],
                    file: StaticString = #filePath, line: UInt = #line) {
    let drawn = PipelineGraph.dot(p), flowchart = PipelineGraph.mermaid(p)
    for d in dot { XCTAssertTrue(drawn.contains(d), "\(d) not in\n\(drawn)", file: file, line: line) }
    for d in notDot { XCTAssertFalse(drawn.contains(d), "\(d) in\n\(drawn)", file: file, line: line) }
    for m in mermaid { XCTAssertTrue(flowchart.contains(m), "\(m) not in\n\(flowchart)", file: file, line: line) }
}

extension RunSummary {
    /// Status by stage id.
    var statuses: [String: String] { Dictionary(uniqueKeysWithValues: trace.map { ($0.stage, $0.status) }) }
}

extension StageRegistry {
    /// The engine's generic stages plus the FASTA stages the engine tests use as their vehicle.
    static func forEngineTests() -> StageRegistry {
        let r = withGenericStages()
        SequenceStages.register(in: r)
        return r
    }
}
