import PipelineEngine
import XCTest

/// `trellis plan`: run or cached, and the reason naming the component that changed.
final class PlanTests: XCTestCase {
    let spec = """
    name: reasons
    params:
      suffix: "-1"
    stages:
      a:
        uses: test.copy
        with:
          input: in.txt
          suffix: ${params.suffix}
          model: model
      b:
        uses: test.copy
        with:
          input: ${stages.a.outputs.file}
          publish: out/b.txt
    """

    func makeProject(version: Int = 1) throws -> Project {
        let p = try Project(version: version)
        try p.write("in.txt", "hello")
        try p.write("model/config.json", "{\"hidden_size\": 8}")
        try p.write("model/tokenizer.json", "{}")
        return p
    }

    func testNewThenCached() throws {
        let p = try makeProject()
        XCTAssertEqual(try p.plan(spec), ["a": "run: new", "b": "run: new; upstream will run: a"])
        let r = try p.run(spec)
        XCTAssertEqual(r.statuses, ["a": "done", "b": "done"])
        XCTAssertEqual(p.read("out/b.txt"), "hello-1")
        XCTAssertEqual(try p.plan(spec), ["a": "cached: cached", "b": "cached: cached"])
        let again = try p.run(spec)
        XCTAssertEqual(again.statuses, ["a": "cached", "b": "cached"])
    }

    func testParameterInputModelAndOutputReasons() throws {
        let p = try makeProject()
        try p.run(spec)
        XCTAssertEqual(try p.plan(spec, overrides: ["suffix=-2"]),
                       ["a": "run: parameter changed: suffix", "b": "run: upstream will run: a"])

        try p.write("in.txt", "HELLO")
        XCTAssertEqual(try p.plan(spec)["a"], "run: input changed: in.txt")
        try p.write("in.txt", "hello")
        XCTAssertEqual(try p.plan(spec)["a"], "cached: cached", "same content again: the digest, not the mtime, decides")

        try p.write("model/config.json", "{\"hidden_size\": 16}")
        XCTAssertEqual(try p.plan(spec)["a"], "run: model changed: model")
        try p.write("model/config.json", "{\"hidden_size\": 8}")

        try FileManager.default.removeItem(at: p.root.appendingPathComponent("out/b.txt"))
        XCTAssertEqual(try p.plan(spec)["b"], "run: output missing: out/b.txt")
        try p.write("out/b.txt", "tampered")
        XCTAssertEqual(try p.plan(spec)["b"], "run: output modified: out/b.txt")
        try p.run(spec)
        XCTAssertEqual(p.read("out/b.txt"), "hello-1")
    }

    func testCodeVersionChanged() throws {
        let p = try makeProject()
        try p.run(spec)
        p.registry.register(CopyStage(version: 2))
        XCTAssertEqual(try p.plan(spec), ["a": "run: code version changed: test.copy@1 -> test.copy@2",
                                          "b": "run: upstream will run: a; code version changed: test.copy@1 -> test.copy@2"])
    }

    func testUpstreamChanged() throws {
        let p = try makeProject()
        try p.run(spec)
        // Run only `a` with another suffix (same pipeline name): b's record still has a's old digest.
        let onlyA = spec.components(separatedBy: "  b:\n")[0]
        try p.run(onlyA, overrides: ["suffix=-2"])
        XCTAssertEqual(try p.plan(spec, overrides: ["suffix=-2"]), ["a": "cached: cached", "b": "run: upstream changed: a"])
    }

    func testPlanTouchesNothing() throws {
        let p = try makeProject()
        _ = try p.plan(spec)
        XCTAssertFalse(p.exists(".trellis/records"))
        XCTAssertFalse(p.exists("out"))
    }

    func testFormattedPlan() throws {
        let p = try makeProject()
        let text = Planner.format(try Planner.plan(p.load(spec), workDirectory: p.work, projectDirectory: p.root))
        XCTAssertEqual(text, """
        STAGE  TYPE       ACTION  WHY
        a      test.copy  run     new
        b      test.copy  run     new; upstream will run: a
        2 to run, 0 cached

        """)
    }
}
