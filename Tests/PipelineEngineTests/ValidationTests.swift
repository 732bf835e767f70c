import PipelineEngine
import XCTest

/// Spec-level errors: all reported together, each with its exact message and position.
final class ValidationTests: XCTestCase {
    let loader = PipelineLoader(registry: StageRegistry.forEngineTests(), projectDirectory: URL(fileURLWithPath: "/tmp"))

    func diagnostics(_ text: String, overrides: [String] = [], file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try loader.load(text: text, file: "p.yaml", overrides: overrides)
            XCTFail("expected errors", file: file, line: line)
            return []
        } catch {
            return "\(error)".split(separator: "\n").map(String.init)
        }
    }

    func testEveryStageProblemReportedTogether() {
        let spec = """
        name: x
        params:
          input: a.faa
        stages:
          f:
            uses: fasta.filtr
          g:
            uses: fasta.filter
            need: [f]
            with:
              inptu: a.faa
              min_length: ten
              strip_stop: yes
          h:
            uses: shell
            needs: [gg]
            with:
              command: echo ${stages.g.outputs.fsta} ${params.inpt}
          i:
            uses: fasta.split
            with:
              input: ${stages.nope.outputs.parts}
              parts: 2
              mode: random
        """
        XCTAssertEqual(diagnostics(spec), [
            "p.yaml:6:11: unknown stage type 'fasta.filtr'; did you mean 'fasta.filter'? (trellis stages lists them)",
            "p.yaml:9:5: stage 'g': unknown key 'need'; did you mean 'needs'?",
            "p.yaml:10:5: missing required parameter 'input' for stage 'g' (fasta.filter)",
            "p.yaml:11:7: unknown parameter 'inptu' for stage 'g' (fasta.filter); did you mean 'input'?",
            "p.yaml:12:19: parameter 'min_length' of stage 'g' (fasta.filter) expects an int, got 'ten'",
            "p.yaml:13:19: parameter 'strip_stop' of stage 'g' (fasta.filter) expects a bool (true or false), got 'yes'",
            "p.yaml:16:13: stage 'h' needs unknown stage 'gg'; did you mean 'g'?",
            "p.yaml:18:16: stage 'g' (fasta.filter) has no output 'fsta'; did you mean 'fasta'?",
            "p.yaml:18:46: unknown parameter reference '${params.inpt}'; did you mean 'input'?",
            "p.yaml:22:14: reference to unknown stage 'nope'",
            "p.yaml:24:13: parameter 'mode' of stage 'i' (fasta.split) expects one of 'contiguous', 'round-robin', got 'random'",
        ])
    }

    func testTopLevelKeysAndMissingStages() {
        XCTAssertEqual(diagnostics("name: x\nstage:\n  a:\n    uses: shell\n"), [
            "p.yaml:1:1: missing 'stages:'; a spec needs at least one stage",
            "p.yaml:2:1: unknown top-level key 'stage'; did you mean 'stages'?",
        ])
    }

    func testStageWithoutUses() {
        XCTAssertEqual(diagnostics("stages:\n  a:\n    with:\n      command: x\n"),
                       ["p.yaml:2:3: stage 'a' has no 'uses:'; expected a stage type such as 'shell'"])
    }

    func testRetriesAndNeedsShapes() {
        XCTAssertEqual(diagnostics("stages:\n  a:\n    uses: shell\n    retries: many\n    with:\n      command: x\n"),
                       ["p.yaml:4:14: 'retries' expects a whole number ≥ 0, got 'many'"])
    }

    func testStageSchemaCheck() {
        XCTAssertEqual(diagnostics("stages:\n  a:\n    uses: shell\n    with:\n      command: x\n      outputs: [/abs/x.txt]\n"),
                       ["p.yaml:6:16: parameter 'outputs' of stage 'a' (shell): '/abs/x.txt' must be a relative path (the command writes it in its own directory)"])
    }

    func testMalformedReference() {
        XCTAssertEqual(diagnostics("stages:\n  a:\n    uses: shell\n    with:\n      command: echo ${stages.b.out}\n"),
                       ["p.yaml:5:21: malformed reference '${stages.b.out}'; expected ${stages.STAGE.outputs.NAME}"])
    }

    func testCommandLineOverrides() throws {
        let spec = "params:\n  n: 3\nstages:\n  a:\n    uses: fasta.split\n    with:\n      input: x.faa\n      parts: ${params.n}\n"
        XCTAssertEqual(diagnostics(spec, overrides: ["m=4"]), ["-p m=4: unknown pipeline parameter 'm'; did you mean 'n'?"])
        XCTAssertEqual(diagnostics(spec, overrides: ["n=four"]),
                       ["p.yaml:8:14: parameter 'parts' of stage 'a' (fasta.split) expects an int, got 'four'"])
        XCTAssertEqual(diagnostics(spec, overrides: ["oops"]), ["-p oops: expected -p key=value"])
        let p = try loader.load(text: spec, file: "p.yaml", overrides: ["n=7"])
        XCTAssertEqual(p.stage("a")?.typed["parts"], .int(7))
    }

    func testCycleShowsPath() {
        let spec = """
        stages:
          a:
            uses: shell
            with:
              command: cat ${stages.c.outputs.x}
              outputs: [x]
          b:
            uses: shell
            needs: a
            with:
              command: hi
              outputs: [x]
          c:
            uses: shell
            needs: [b]
            with:
              command: hi
              outputs: [x]
          d:
            uses: shell
            needs: [d]
            with:
              command: hi
        """
        XCTAssertEqual(diagnostics(spec), ["p.yaml:2:3: cycle in stage dependencies: a -> b -> c -> a"])
        XCTAssertEqual(diagnostics("stages:\n  d:\n    uses: shell\n    needs: [d]\n    with:\n      command: hi\n"),
                       ["p.yaml:2:3: cycle in stage dependencies: d -> d"])
    }

    func testParamsSubstitutionKeepsShapes() throws {
        let spec = """
        params:
          files: [a.faa, b.faa]
          n: 10
        stages:
          s:
            uses: shell
            with:
              inputs: ${params.files}
              command: echo ${params.files} n=${params.n} $HOME ${HOME}
        """
        let p = try loader.load(text: spec, file: "p.yaml")
        let s = p.stage("s")!
        XCTAssertEqual(s.typed["inputs"], .list([.string("a.faa"), .string("b.faa")]))
        XCTAssertEqual(s.typed["command"], .string("echo a.faa b.faa n=10 $HOME ${HOME}"))
    }

    func testGraphEdgesFromNeedsAndReferences() throws {
        let spec = """
        stages:
          a:
            uses: fasta.filter
            with:
              input: x.faa
          b:
            uses: fasta.split
            with:
              input: ${stages.a.outputs.fasta}
              parts: 2
        """ + Project.tableStage("c", needs: ["a", "b"], path: "out/t.tsv")
        let p = try loader.load(text: spec, file: "p.yaml")
        XCTAssertEqual(p.stage("b")?.dependencies, [0])
        XCTAssertEqual(p.stage("c")?.dependencies, [0, 1])
        XCTAssertEqual(p.stage("b")?.deferred, ["input"])
        assertDrawings(p, dot: ["\"a\" -> \"b\";", "\"b\" -> \"c\";"], mermaid: ["s_a --> s_b"])
        XCTAssertTrue(PipelineGraph.mermaid(p).hasPrefix("flowchart LR\n"))
    }
}
