import Foundation
import PipelineEngine
import XCTest
import _TestSupport

/// Regression tests for issue 14's engine classes: traps on paths and nesting, outputs that clobber
/// data, unbounded matrices, quoting of substituted values.
final class HostileInputTests: XCTestCase {
    // MARK: Paths (NSString's path API trapped on one-character directories)

    func testPathNameTakesPathsApart() {
        let cases: [(String, (String) -> String, [(String, String)])] = [
            ("parent", PathName.parent, [("o/r.txt", "o"), ("x/y", "x"), ("a/b/c", "a/b"), ("c", ""), ("/c", "/"),
                                         ("a/b/", "a"), ("a//b", "a")]),
            ("lastComponent", PathName.lastComponent, [("a/b/c.txt", "c.txt"), ("o/", "o"), ("/", "/")]),
            ("pathExtension", PathName.pathExtension, [("x.tar.gz", "gz"), ("d/.bashrc", ""), ("a.b/c", "")]),
            ("stem", PathName.stem, [("dir/spec.yaml", "spec")]),
            ("normalize", PathName.normalize, [("a/./b//../c/", "a/c"), ("./", "."), ("/../x", "/x"), ("../x", "../x")]),
        ]
        for (name, f, pairs) in cases {
            for (input, expected) in pairs { XCTAssertEqual(f(input), expected, "\(name)(\(input))") }
        }
    }

    func testResolvedFollowsSymlinkedDirectories() throws {
        let p = try Project()
        try p.write("real/keep", "")
        try FileManager.default.createSymbolicLink(atPath: p.root.appendingPathComponent("link").path, withDestinationPath: "real")
        let base = p.root.path
        XCTAssertEqual(PathName.resolved("link/new.txt", against: base), PathName.resolved("real/new.txt", against: base))
        XCTAssertEqual(PathName.resolved("./real//x/../new.txt", against: base), PathName.resolved("real/new.txt", against: base))
    }

    func testShellStageWithOneCharacterDirectories() throws {
        let p = try Project()
        let spec = """
        stages:
          a:
            uses: shell
            with:
              inputs: [i/n.txt]
              outputs: [o/r.txt, x/y, a/b/c]
              command: cat i/n.txt > o/r.txt; echo y > x/y; echo c > a/b/c
        """
        try p.write("i/n.txt", "in\n")
        let summary = try p.run(spec)
        XCTAssertEqual(summary.statuses["a"], "done", "\(summary.failures)")
        XCTAssertEqual(p.read("o/r.txt"), "in\n")
        XCTAssertEqual(p.read("a/b/c"), "c\n")
    }

    // MARK: Nesting

    func testDeepFlowNestingIsAPositionedError() {
        let text = "stages:\n  a:\n    uses: shell\n    with:\n      command: " + String(repeating: "[", count: 100_000) + "\n"
        XCTAssertThrowsError(try SpecParser.parse(text, file: "deep.yaml")) { e in
            XCTAssertTrue("\(e)".hasPrefix("deep.yaml:5:"), "\(e)")
            XCTAssertTrue("\(e)".contains("nested deeper than"), "\(e)")
        }
    }

    func testDeepBlockNestingIsAPositionedError() {
        let text = "stages:\n" + String(repeating: "- ", count: 50_000) + "x\n"
        XCTAssertThrowsError(try SpecParser.parse(text, file: "deep.yaml")) { e in
            XCTAssertTrue("\(e)".hasPrefix("deep.yaml:2:"), "\(e)")
            XCTAssertTrue("\(e)".contains("nested deeper than"), "\(e)")
        }
        // Ordinary nesting still parses.
        XCTAssertNoThrow(try SpecParser.parse("a: [[1, [2]], 3]\nb:\n  - - x\n    - y\n", file: "ok.yaml"))
    }

    // MARK: Outputs that would lose data

    func diagnostics(_ p: Project, _ spec: String) -> String {
        do { _ = try p.load(spec); return "" } catch { return "\(error)" }
    }

    func testTwoStagesPublishingOneFileIsAPlanError() throws {
        let p = try Project()
        try p.write("real/.keep", "")
        try FileManager.default.createSymbolicLink(atPath: p.root.appendingPathComponent("link").path, withDestinationPath: "real")
        for other in ["out/x.txt", "./out//x.txt", "out/./x.txt"] {
            let spec = """
            stages:
              first:
                uses: shell
                with: {command: "echo > out/x.txt", outputs: [out/x.txt]}
              second:
                uses: shell
                with:
                  command: echo > o
                  outputs: ["\(other)"]
            """.replacingOccurrences(of: "with: {command: \"echo > out/x.txt\", outputs: [out/x.txt]}",
                                     with: "with:\n      command: echo\n      outputs: [out/x.txt]")
            let text = diagnostics(p, spec)
            XCTAssertTrue(text.contains("stages 'first' and 'second' both publish out/x.txt"), "\(other): \(text)")
        }
        let viaLink = diagnostics(p, """
        stages:
          first:
            uses: table.write
            with: {path: real/t.tsv}
          second:
            uses: table.write
            with: {path: link/t.tsv}
        """.replacingOccurrences(of: "with: {path: real/t.tsv}", with: "with:\n      path: real/t.tsv")
           .replacingOccurrences(of: "with: {path: link/t.tsv}", with: "with:\n      path: link/t.tsv"))
        XCTAssertTrue(viaLink.contains("both publish real/t.tsv"), viaLink)
    }

    func testStageOverwritingItsOwnInputIsAPlanError() throws {
        let p = try Project()
        try p.write("in.faa", ">a\nMK\n")
        let text = diagnostics(p, """
        stages:
          f:
            uses: fasta.filter
            with:
              input: in.faa
              output: ./in.faa
        """)
        XCTAssertTrue(text.contains("spec.yaml:2:3: stage 'f' would overwrite its own input ./in.faa"), text)
        XCTAssertEqual(p.read("in.faa"), ">a\nMK\n")
    }

    func testOverwritingAnInputOfAStageNotDownstreamIsAPlanErrorButProducerConsumerIsFine() throws {
        let p = try Project()
        try p.write("data.faa", ">a\nMK\n")
        let reader = TestSupport.stageYAML("reader", uses: "fasta.filter", with: ["input": "data.faa"])
        let clobber = diagnostics(p, "stages:\n" + reader + TestSupport.stageYAML("writer", uses: "fasta.sample", with: [
            "input": "other.faa", "n": "1", "output": "data.faa"]))
        XCTAssertTrue(clobber.contains("stage 'writer' would overwrite data.faa, an input of stage 'reader'"), clobber)
        let chain = diagnostics(p, "stages:\n"
            + TestSupport.stageYAML("writer", uses: "fasta.filter", with: ["input": "data.faa", "output": "out/kept.faa"])
            + TestSupport.stageYAML("reader", uses: "fasta.filter", needs: ["writer"], with: ["input": "out/kept.faa"]))
        XCTAssertEqual(chain, "")
    }

    func testEveryStageTypeWritesInsideTheProjectOnly() throws {
        let p = try Project()
        try p.write("in.faa", ">a\nMK\n")
        for (type, key) in [("table.write", "path"), ("fasta.filter", "output")] {
            let text = diagnostics(p, """
            stages:
              s:
                uses: \(type)
                with:
                  input: in.faa
                  \(key): ../escaped.txt
            """.replacingOccurrences(of: "      input: in.faa\n", with: type == "table.write" ? "" : "      input: in.faa\n"))
            XCTAssertTrue(text.contains("outside the project directory"), "\(type): \(text)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.root.deletingLastPathComponent().appendingPathComponent("escaped.txt").path))
    }

    // MARK: Matrix size

    func testHugeMatrixIsRefusedBeforeExpansion() throws {
        let p = try Project()
        let values = (0..<1600).map(String.init).joined(separator: ", ")
        let text = diagnostics(p, """
        stages:
          m:
            uses: shell
            matrix:
              a: [\(values)]
              b: [\(values)]
            with:
              command: echo ${matrix.a}
        """)
        XCTAssertTrue(text.contains("matrix of stage 'm' has 2560000 combinations (a: 1600 × b: 1600); at most 10000 instances per stage"), text)
    }

    // MARK: Quoting

    func testShellQuoting() {
        for (input, expected) in [("out/a.txt", "out/a.txt"), ("my dir/a b.txt", "'my dir/a b.txt'"),
                                  ("it's", "'it'\\''s'"), ("", "''"), ("$(rm -rf x)", "'$(rm -rf x)'")] {
            XCTAssertEqual(ShellQuoting.quote(input), expected, input)
        }
    }

    /// The one quoter (`shell` stages' `:q` and the Slurm `--wrap` command) gives every hostile string back
    /// unchanged through /bin/sh.
    func testShellQuotingRoundTripsThroughSh() throws {
        let hostile = ["it's", "'", "''", "a\"b", "line1\nline2\n", "$HOME", "${PATH}", "`id`", "$(echo pwned)", "tab\there",
                       "naïve 日本語 🧬", "back\\slash\\", "-n", "*", "~", "!", "a b  c", "cr\rlf", "; rm -rf x; '", "%s %d",
                       "", "#not a comment", "semi;colon|pipe&amp>gt<lt", "\u{7f}\u{1b}[31m", "é\u{301}"]
        for s in hostile {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "printf '%s' " + ShellQuoting.quote(s)]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, s)
            XCTAssertEqual(data, Data(s.utf8), "\(s.debugDescription) -> \(ShellQuoting.quote(s).debugDescription)")
        }
    }

    func testQuotedReferencesSurviveSpacesAndQuotes() throws {
        let p = try Project()
        try p.write("in put's.txt", "x\n")
        let spec = """
        params:
          name: "in put's.txt"
        stages:
          copy:
            uses: test.copy
            with:
              input: ${params.name}
          show:
            uses: shell
            with:
              inputs: [${params.name}, ${stages.copy.outputs.file}]
              outputs: [out/n.txt]
              command: |
                cat ${params.name:q} ${stages.copy.outputs.file:q} > out/n.txt
                for f in ${stages.copy.outputs.file:q}; do test -f "$f"; done
        """
        // The work directory has a space in its name, so the copy's path does too.
        var options = RunOptions(workDirectory: p.root.appendingPathComponent("work dir"), projectDirectory: p.root)
        options.progress = .quiet
        let summary = try PipelineRunner(pipeline: p.load(spec), options: options).run()
        XCTAssertEqual(summary.statuses["show"], "done", "\(summary.failures)")
        XCTAssertEqual(p.read("out/n.txt"), "x\nx\n")
    }

    // MARK: Log tail

    func testLogTailReadsOnlyTheEnd() throws {
        let p = try Project()
        let lines = (1...100_000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        try p.write("big.log", lines)
        let tail = try XCTUnwrap(LogTail.read(p.root.appendingPathComponent("big.log").path, lines: 40))
        XCTAssertTrue(tail.truncated)
        XCTAssertEqual(tail.text.split(separator: "\n").count, 40)
        XCTAssertTrue(tail.text.hasPrefix("line 99961\n"), String(tail.text.prefix(20)))
        try p.write("small.log", "a\nb")
        XCTAssertEqual(LogTail.read(p.root.appendingPathComponent("small.log").path)?.text, "a\nb\n")
        XCTAssertEqual(LogTail.read(p.root.appendingPathComponent("small.log").path)?.truncated, false)
    }
}
