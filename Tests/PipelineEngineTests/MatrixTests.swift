import Foundation
import PipelineEngine
import XCTest

/// `matrix:` stages: expansion into instances, `${matrix.K}`, references and `needs` between instances
/// (same values, or gathered into a list), every spec error with its position, and runs with caching,
/// sharding and --keep-going.
final class MatrixTests: XCTestCase {
    let loader = PipelineLoader(registry: StageRegistry.forEngineTests(), projectDirectory: URL(fileURLWithPath: "/tmp"))

    func load(_ text: String, overrides: [String] = []) throws -> Pipeline {
        try loader.load(text: text, file: "p.yaml", overrides: overrides)
    }

    func diagnostics(_ text: String, overrides: [String] = [], file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try load(text, overrides: overrides)
            XCTFail("expected errors", file: file, line: line)
            return []
        } catch {
            return "\(error)".split(separator: "\n").map(String.init)
        }
    }

    func ids(_ p: Pipeline) -> [String] { p.stages.map(\.id) }
    func deps(_ p: Pipeline, _ id: String) -> [String] { p.stage(id)!.dependencies.map { p.stages[$0].id } }

    /// Two keys: the cartesian product in the order written, the first key varying slowest, with
    /// `${matrix.…}` replaced inside longer strings and as whole values.
    func testExpansionIsTheCartesianProductInOrder() throws {
        let p = try load("""
        params:
          data: d
        stages:
          train:
            uses: fasta.split
            matrix:
              K: [16, 32]
              seed: [1, 2, 3]
            with:
              input: ${params.data}/train_${matrix.K}.faa
              parts: ${matrix.seed}
        """)
        XCTAssertEqual(ids(p), ["train[K=16,seed=1]", "train[K=16,seed=2]", "train[K=16,seed=3]",
                                "train[K=32,seed=1]", "train[K=32,seed=2]", "train[K=32,seed=3]"])
        let s = p.stage("train[K=32,seed=2]")!
        XCTAssertEqual(s.name, "train")
        XCTAssertEqual(s.matrix, [MatrixBinding(key: "K", value: "32"), MatrixBinding(key: "seed", value: "2")])
        XCTAssertEqual(s.typed["input"], .string("d/train_32.faa"))
        XCTAssertEqual(s.typed["parts"], .int(2))
        XCTAssertEqual(p.groups["train"]?.count, 6)
        XCTAssertNil(p.stage("train"))
    }

    /// Values outside letters, digits and `. _ - +` become `_` in ids, so an id is a safe file name.
    func testIdsAreSafeFileNames() throws {
        let p = try load("""
        stages:
          s:
            uses: shell
            matrix:
              f: [a/b.faa, "x y", 1e-5]
            with:
              command: echo ${matrix.f}
        """)
        XCTAssertEqual(ids(p), ["s[f=a_b.faa]", "s[f=x_y]", "s[f=1e-5]"])
        XCTAssertEqual(p.stage("s[f=a_b.faa]")?.typed["command"], .string("echo a/b.faa"))
        XCTAssertEqual(diagnostics("stages:\n  s:\n    uses: shell\n    matrix:\n      f: [a/b, a_b]\n    with:\n      command: x\n"),
                       ["p.yaml:5:16: matrix values 'a/b' and 'a_b' of 'f' would give the same stage id 's[f=a_b]'"])
    }

    /// A list param, or a scalar param with comma- or space-separated values (what `-p` gives).
    func testValuesFromParams() throws {
        let spec = """
        params:
          ks: [16, 32]
        stages:
          s:
            uses: shell
            matrix:
              K: ${params.ks}
            with:
              command: echo ${matrix.K}
        """
        XCTAssertEqual(ids(try load(spec)), ["s[K=16]", "s[K=32]"])
        XCTAssertEqual(ids(try load(spec, overrides: ["ks=16,32,64"])), ["s[K=16]", "s[K=32]", "s[K=64]"])
        XCTAssertEqual(ids(try load(spec, overrides: ["ks=[8, 128]"])), ["s[K=8]", "s[K=128]"])
        XCTAssertEqual(ids(try load(spec, overrides: ["ks=128"])), ["s[K=128]"])
        XCTAssertEqual(diagnostics(spec, overrides: ["ks=,"]), ["p.yaml:7:10: matrix 'K' of stage 's' has no values; give at least one"])
    }

    /// -p on a list param with commas gives a list, so a stage's list parameter (several input files) can be set from the
    /// command line; it used to stay one scalar "a,b", read as a single path.
    func testCommaOverrideOfAListParamIsAList() throws {
        let spec = """
        params:
          files: [a.txt]
        stages:
          s:
            uses: shell
            with:
              command: cat ${params.files}
        """
        for o in ["files=x.txt,y.txt", "files=[x.txt, y.txt]"] {
            let p = try load(spec, overrides: [o])
            XCTAssertEqual(p.parameters.first { $0.name == "files" }?.value, "[x.txt, y.txt]", o)
        }
        XCTAssertEqual(try load(spec, overrides: ["files=z.txt"]).parameters.first { $0.name == "files" }?.value, "z.txt")
    }

    /// `make[K]` → `use[K]` (instance to instance), `gather` (all instances) and two stages that wait for `make`.
    static func chain(make: String = "echo ${matrix.K} > out/k.txt", use: String = "cat ${stages.make.outputs.result}") -> String {
        """
    stages:
      make:
        uses: shell
        matrix:
          K: [1, 2, 3]
        with:
          command: \(make)
          outputs:
            result: out/k${matrix.K}.txt
      use:
        uses: shell
        matrix:
          K: [1, 2, 3]
        with:
          inputs: [${stages.make.outputs.result}]
          command: \(use)
      gather:
        uses: shell
        with:
          inputs: ${stages.make.outputs.result}
          command: "true"
      waits:
        uses: shell
        needs: [make]
        with:
          command: "true"
      waits_same:
        uses: shell
        needs: [make]
        matrix:
          K: [2]
        with:
          command: "true"
    """
    }

    func testReferencesAndNeedsBetweenInstances() throws {
        let p = try load(Self.chain())
        // Same matrix: the instance with the same values; no matrix: every instance, as a list in matrix order.
        XCTAssertEqual(deps(p, "use[K=2]"), ["make[K=2]"])
        XCTAssertEqual(p.stage("use[K=2]")?.referenceTargets["make"], ReferenceTarget(stages: [1], ids: ["make[K=2]"], gathers: false))
        XCTAssertEqual(deps(p, "gather"), ["make[K=1]", "make[K=2]", "make[K=3]"])
        XCTAssertEqual(p.stage("gather")?.referenceTargets["make"]?.gathers, true)
        XCTAssertEqual(deps(p, "waits"), ["make[K=1]", "make[K=2]", "make[K=3]"])
        XCTAssertEqual(deps(p, "waits_same[K=2]"), ["make[K=2]"])
        XCTAssertEqual(p.stage("waits")?.needs.count, 3)
        // One instance by its id.
        let exact = try load(Self.chain() + "\n  exact:\n    uses: shell\n    needs: [\"make[K=3]\"]\n    with:\n      command: x\n")
        XCTAssertEqual(deps(exact, "exact"), ["make[K=3]"])
        // The graph draws every instance.
        assertDrawings(p, dot: ["\"make[K=2]\" -> \"use[K=2]\";"], notDot: ["\"make[K=1]\" -> \"use[K=2]\";"],
                       mermaid: ["  s_make_K_3_ --> s_gather\n", "s_make_K_3_[\"make[K=3]<br/>"])
    }

    /// Keys shared by both stages pick the instance; keys only the referenced stage has are gathered.
    func testPartlySharedKeys() throws {
        let p = try load("""
        stages:
          a:
            uses: shell
            matrix:
              K: [1, 2]
              seed: [7, 8]
            with:
              command: x
              outputs:
                r: r-${matrix.K}-${matrix.seed}.txt
          per_k:
            uses: shell
            matrix:
              K: [2, 1]
            with:
              inputs: ${stages.a.outputs.r}
              command: x
          per_k_seed_lr:
            uses: shell
            matrix:
              seed: [8]
              K: [1]
              lr: [0.1, 0.2]
            with:
              inputs: [${stages.a.outputs.r}]
              command: x
        """)
        XCTAssertEqual(deps(p, "per_k[K=2]"), ["a[K=2,seed=7]", "a[K=2,seed=8]"])
        XCTAssertEqual(p.stage("per_k[K=2]")?.referenceTargets["a"]?.gathers, true)
        XCTAssertEqual(deps(p, "per_k_seed_lr[seed=8,K=1,lr=0.2]"), ["a[K=1,seed=8]"])
        XCTAssertEqual(p.stage("per_k_seed_lr[seed=8,K=1,lr=0.2]")?.referenceTargets["a"]?.gathers, false)
    }

    func testMatrixErrorsArePositioned() {
        func stage(_ matrix: String, command: String = "echo ${matrix.K}") -> String {
            "stages:\n  s:\n    uses: shell\n    matrix:\n" + matrix + "    with:\n      command: " + command + "\n"
        }
        XCTAssertEqual(diagnostics("stages:\n  s:\n    uses: shell\n    with:\n      command: echo ${matrix.K}\n"),
                       ["p.yaml:5:21: '${matrix.K}' can only be used in 'with:' of a stage with 'matrix:'"])
        XCTAssertEqual(diagnostics(stage("      K: [1]\n", command: "echo ${matrix.k}")),
                       ["p.yaml:7:21: unknown matrix key 'k' in '${matrix.k}'; did you mean 'K'?"])
        XCTAssertEqual(diagnostics(stage("      K: [1]\n      seed: [1]\n", command: "echo ${matrix.learning_rate}")),
                       ["p.yaml:8:21: unknown matrix key 'learning_rate' in '${matrix.learning_rate}'; stage 's' has: K, seed"])
        XCTAssertEqual(diagnostics(stage("      K: []\n")), ["p.yaml:5:10: matrix 'K' of stage 's' has no values; give at least one"])
        XCTAssertEqual(diagnostics("stages:\n  s:\n    uses: shell\n    matrix:\n    with:\n      command: x\n"),
                       ["p.yaml:4:12: 'matrix' of stage 's' is empty; expected keys with lists of values, e.g. K: [16, 32]"])
        XCTAssertEqual(diagnostics(stage("      K: [1]\n      K: [2]\n")), ["p.yaml:6:7: duplicate key 'K' (first at line 5, column 7)"])
        XCTAssertEqual(diagnostics(stage("      K: [16, 32, 16]\n")), ["p.yaml:5:19: duplicate value '16' in matrix 'K' of stage 's'"])
        XCTAssertEqual(diagnostics(stage("      K: [1, [2, 3]]\n")), ["p.yaml:5:14: matrix values are scalars; 'K' of stage 's' holds a list"])
        XCTAssertEqual(diagnostics(stage("      K:\n        a: 1\n")), ["p.yaml:6:9: matrix 'K' of stage 's' expects a list of values, got a mapping"])
        XCTAssertEqual(diagnostics(stage("      K: 16\n")),
                       ["p.yaml:5:10: matrix 'K' of stage 's' expects a list of values, e.g. K: [16, 32], or ${params.NAME}"])
        XCTAssertEqual(diagnostics(stage("      K: ${params.ks}\n")),
                       ["p.yaml:5:10: unknown parameter reference '${params.ks}'; the spec declares no params"])
        XCTAssertEqual(diagnostics(stage("      K: [a, \"${stages.x.outputs.y}\"]\n")),
                       ["p.yaml:5:14: matrix values are known when the spec loads; '${stages.x.outputs.y}' holds a reference"])
        XCTAssertEqual(diagnostics("params:\n  l: [[1]]\n" + stage("      K: ${params.l}\n")),
                       ["p.yaml:7:10: matrix values are scalars; the list in '${params.l}' holds a list or a mapping"])
    }

    /// A stage without the matrix sees the list of every instance's output: a list parameter takes it, as
    /// does longer text (joined by spaces); a scalar parameter does not.
    func testGatheredReferenceNeedsAListParameter() throws {
        let spec = """
        stages:
          make:
            uses: shell
            matrix:
              K: [1, 2]
            with:
              command: x
              outputs:
                result: out/k${matrix.K}.txt
          use:
            uses: fasta.filter
            with:
              input: ${stages.make.outputs.result}
          whole:
            uses: shell
            with:
              command: ${stages.make.outputs.result}
          other:
            uses: shell
            matrix:
              K: [3]
            with:
              command: cat ${stages.make.outputs.result}
        """
        XCTAssertEqual(diagnostics(spec), [
            "p.yaml:13:14: parameter 'input' of stage 'use' (fasta.filter) is a path, but '${stages.make.outputs.result}' is the list "
                + "of that output of every instance of matrix stage 'make' (K); pass it to a list parameter, or give this stage the same matrix",
            "p.yaml:17:16: parameter 'command' of stage 'whole' (shell) is a string, but '${stages.make.outputs.result}' is the list "
                + "of that output of every instance of matrix stage 'make' (K); pass it to a list parameter, or give this stage the same matrix",
            "p.yaml:23:16: stage 'other[K=3]': no instance of matrix stage 'make' has K=3",
        ])
        let p = try load(spec.components(separatedBy: "  use:")[0] + """
          inline:
            uses: shell
            with:
              command: cat ${stages.make.outputs.result}
        """)
        XCTAssertEqual(p.stage("inline")?.referenceTargets["make"]?.gathers, true)
    }

    /// Problems that do not depend on the matrix values are reported once, not once per instance; those
    /// that do name the instance.
    func testInstancesReportSharedProblemsOnce() {
        XCTAssertEqual(diagnostics("""
        stages:
          s:
            uses: fasta.split
            matrix:
              n: [2, two, 3]
            with:
              input: x.faa
              parts: ${matrix.n}
              mode: random
              colour: red
        """), [
            "p.yaml:8:14: parameter 'parts' of stage 's[n=two]' (fasta.split) expects an int, got 'two'",
            "p.yaml:9:13: parameter 'mode' of stage 's' (fasta.split) expects one of 'contiguous', 'round-robin', got 'random'",
            "p.yaml:10:7: unknown parameter 'colour' for stage 's' (fasta.split); expected one of: input, parts, mode",
        ])
    }

    /// A run: instances run and publish, a gathered list arrives in matrix order, the second run is all
    /// cached, a new value runs only its instance and what gathers every instance, and plan names instances.
    func testRunCachedSecondRunAndPlan() throws {
        let p = try Project()
        let spec = """
        name: m
        params:
          ks: [3, 1, 2]
        stages:
          make:
            uses: shell
            matrix:
              K: ${params.ks}
            with:
              command: echo k=${matrix.K} > out/k${matrix.K}.txt
              outputs:
                result: out/k${matrix.K}.txt
          gather:
            uses: shell
            with:
              inputs: ${stages.make.outputs.result}
              command: cat ${stages.make.outputs.result} > out/all.txt
              outputs:
                all: out/all.txt
        """ + Project.tableStage("summary", needs: ["make"], path: "out/summary.tsv")
        let r = try p.runOK(spec)
        XCTAssertEqual(r.statuses, ["make[K=3]": "done", "make[K=1]": "done", "make[K=2]": "done", "gather": "done", "summary": "done"])
        XCTAssertEqual(p.read("out/all.txt"), "k=3\nk=1\nk=2\n")
        XCTAssertEqual(p.read("out/k2.txt"), "k=2\n")
        let summary = p.read("out/summary.tsv") ?? ""
        XCTAssertTrue(summary.contains("make[K=1]\tresult\tout/k1.txt"), summary)
        XCTAssertEqual(r.trace.first { $0.stage == "make[K=2]" }?.log, ".trellis/runs/\(r.runDirectory.lastPathComponent)/logs/make[K=2].log")

        let again = try p.run(spec)
        XCTAssertEqual(again.count("cached"), 5)
        XCTAssertEqual(try p.plan(spec).values.sorted(), Array(repeating: "cached: cached", count: 5))

        // A new value: only its instance and the stages that wait for every instance run.
        let plan = try p.plan(spec, overrides: ["ks=3,1,2,4"])
        XCTAssertEqual(plan["make[K=4]"], "run: new")
        XCTAssertEqual(plan["make[K=1]"], "cached: cached")
        XCTAssertEqual(plan["gather"], "run: upstream will run: make[K=4]; gathered instances changed: make")
        XCTAssertEqual(plan["summary"], "run: upstream will run: make[K=4]")
        // The same values in another order: the gathered list changes, the instances do not.
        let reordered = try p.plan(spec, overrides: ["ks=1,2,3"])
        XCTAssertEqual(reordered["make[K=3]"], "cached: cached")
        XCTAssertEqual(reordered["gather"], "run: gathered instances changed: make")
        XCTAssertEqual(try p.run(spec, overrides: ["ks=1,2,3"]).statuses["gather"], "done")
        XCTAssertEqual(p.read("out/all.txt"), "k=1\nk=2\nk=3\n")
    }

    /// --keep-going: a failing instance does not stop the others; what gathers it is skipped.
    func testKeepGoingWithAFailingInstance() throws {
        let p = try Project()
        let spec = Self.chain(make: "test ${matrix.K} != 2 && echo ${matrix.K} > out/k${matrix.K}.txt", use: "\"true\"")
        let r = try p.run(spec, jobs: 1, keepGoing: true)
        XCTAssertEqual(r.statuses, ["make[K=1]": "done", "make[K=2]": "failed", "make[K=3]": "done",
                                    "use[K=1]": "done", "use[K=2]": "skipped", "use[K=3]": "done", "gather": "skipped",
                                    "waits": "skipped", "waits_same[K=2]": "skipped"])
        XCTAssertEqual(r.failures.map(\.stage), ["make[K=2]"])
    }

    /// Each instance of a sharded matrix stage is sharded and gathered on its own.
    func testShardedInstances() throws {
        let p = try Project()
        try p.write("a.txt", "x\ny\nz\n")
        try p.write("b.txt", "u\nv\n")
        let spec = """
        stages:
          upper:
            uses: shell
            shards: 2
            matrix:
              f: [a, b]
            with:
              records: ${matrix.f}.txt
              record_format: lines
              command: tr a-z A-Z < "$TRELLIS_RECORDS" > out/${matrix.f}.upper
              outputs:
                upper: out/${matrix.f}.upper
        """
        let r = try p.runOK(spec)
        XCTAssertEqual(p.read("out/a.upper"), "X\nY\nZ\n")
        XCTAssertEqual(p.read("out/b.upper"), "U\nV\n")
        XCTAssertEqual(try p.run(spec).count("cached"), 2)
    }
}
