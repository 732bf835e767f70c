import Foundation
import PipelineEngine
import XCTest

/// `test.metric`: records `accuracy` and `count` as text outputs, publishes a Markdown table, and holds
/// `megabytes` MiB of touched memory while it runs.
struct MetricStage: StageType {
    let name = "test.metric"
    let version = 1
    let summary = "record metrics (tests)"
    let parameters: [ParameterSpec] = [
        ParameterSpec("table", .outputPath, required: true, doc: "where the Markdown table goes"),
        ParameterSpec("megabytes", .int, default: .int(0), doc: "memory to hold while running"),
    ]
    let outputs = [OutputSpec("accuracy", doc: "a fraction"), OutputSpec("count", doc: "a count"),
                   OutputSpec("table", doc: "Markdown table")]

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let held = [UInt8](repeating: 1, count: (p.int("megabytes") ?? 0) << 20)
        let table = "summary\n\n| K | accuracy |\n|---|---:|\n| 16 | 61.25 |\n| 32 | 64.00 |\n\nrun 1\n"
        try Data(table.utf8).write(to: context.publish("table", to: p.string("table")!))
        context.output("accuracy", text: "0.61250000000000004")
        context.output("count", text: String(79 + Int(held.last ?? 1)))
        // Held for a while, as a real stage holds its memory: the 50 ms sampler must see it even when the
        // process high-water mark (raised by earlier tests in this process) hides the stage's own peak.
        if !held.isEmpty { Thread.sleep(forTimeInterval: 0.3) }
        withExtendedLifetime(held) {}
    }
}

/// The run report's sections: summary with results first, run facts (parameters, -p overrides, command
/// line, version, host, date), stage graph, links to logs and outputs, Markdown tables as tables, and each
/// stage's own memory; and the results printed at the end of `trellis run`.
final class RunReportSectionTests: XCTestCase {
    let spec = """
    name: sections
    params:
      greeting: hello
      n: 3
    stages:
      metric:
        uses: test.metric
        with:
          table: out/metrics.txt
      say:
        uses: shell
        needs: [metric]
        with:
          command: echo "${params.greeting} ${params.n}"
    """

    func project() throws -> Project {
        let p = try Project()
        p.registry.register(MetricStage())
        return p
    }

    func testSectionsArePresentInOrder() throws {
        let p = try project()
        let r = try p.runOK(spec, overrides: ["n=5"])
        let html = try String(contentsOf: r.runDirectory.appendingPathComponent("report.html"), encoding: .utf8)
        let headings = ["<h2>Results</h2>", "<h2>Run</h2>", "<h3>Parameters</h3>", "<h2>Stage graph</h2>", "<h2>Stages</h2>",
                        "<h2>Timeline</h2>", "<h2>Figures and tables</h2>"]
        let positions = headings.map { html.range(of: $0)?.lowerBound }
        XCTAssertFalse(positions.contains(nil), "every section present: \(zip(headings, positions).filter { $0.1 == nil }.map(\.0))")
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted(), "sections in order")
        XCTAssertTrue(html.contains("<span class=\"status succeeded\">succeeded</span>"), html)
        XCTAssertTrue(html.contains("accuracy <b>0.6125</b> · count <b>80</b>"), html)
        XCTAssertTrue(html.contains("<code>n=5</code>") && html.contains("<td>n</td><td><code>5</code></td><td>set with -p</td>"), html)
        XCTAssertTrue(html.contains("<td>greeting</td><td><code>hello</code></td><td></td>"), html)
        for fact in ["command line", "trellis version", "host", "started", ProcessInfo.processInfo.hostName] {
            XCTAssertTrue(html.contains(fact), fact)
        }
        // The stage graph: a box per stage with its type and status, and an edge metric -> say.
        XCTAssertTrue(html.contains(">test.metric · done</text>") && html.contains(">shell · done</text>"), html)
        XCTAssertEqual(html.components(separatedBy: "<path d=\"M").count - 1, 2, "one edge (curve and arrow head)")
        // Links to the shell stage's log and the published table.
        XCTAssertTrue(html.contains("logs/say.log\">log</a>"), html)
        XCTAssertTrue(html.contains("out/metrics.txt\">metrics.txt</a>"), html)
        // The Markdown table is a table; the text around it stays text.
        XCTAssertTrue(html.contains("<table class=\"data\"><tr><th>K</th><th>accuracy</th></tr>\n<tr><td>16</td><td>61.25</td></tr>"), html)
        XCTAssertFalse(html.contains("|---|"), "no raw Markdown rules")
        XCTAssertTrue(html.contains("<pre>summary\n</pre>") && html.contains("<pre>run 1\n</pre>"), html)
    }

    func testResultsText() throws {
        let p = try project()
        let r = try p.run(spec)
        XCTAssertEqual(r.results.text(), "results:\n  metric  accuracy 0.6125, count 80\npublished:\n  out/metrics.txt\n")
        // Past the limit only the files of the stages nothing depends on are listed (here `say`, which has
        // none), and where the others are.
        XCTAssertTrue(r.results.text(maxFiles: 0).hasSuffix("published:\n  … and 1 more under out/ (listed in the report)\n"),
                      r.results.text(maxFiles: 0))
        // Fractions to four significant digits; counts and other text as recorded.
        for (recorded, shown) in [("0.5", "0.5"), ("1234", "1234"), ("113.456789", "113.5"), ("nan", "nan"), ("a.b", "a.b")] {
            XCTAssertEqual(RunResults.format(recorded), shown)
        }
    }

    func testFailedStageKeepsItsResourceUsage() throws {
        let p = try project()
        let r = try p.run("stages:\n  bad:\n    uses: shell\n    with:\n      command: exit 3\n")
        let bad = try XCTUnwrap(r.trace.first { $0.stage == "bad" })
        XCTAssertEqual(bad.status, "failed")
        XCTAssertEqual(bad.exitStatus, 3)
        XCTAssertGreaterThan(bad.peakRSSKB, 0, "the shell's own peak, from wait4, also when it failed")
    }

    func testPeakMemoryIsTheStagesOwn() throws {
        // A stage holding 96 MiB, then a trivial one: the trivial stage's figure must not be the process's
        // high-water mark (which the first stage raised past 96 MiB).
        let p = try project()
        let r = try p.run("""
        stages:
          big:
            uses: test.metric
            with:
              table: out/big.txt
              megabytes: 96
          small:
            uses: test.metric
            needs: [big]
            with:
              table: out/small.txt
        """, jobs: 1)
        XCTAssertTrue(r.succeeded, "\(r.failures)")
        let kb = Dictionary(uniqueKeysWithValues: r.trace.map { ($0.stage, $0.peakRSSKB) })
        print("own peak RSS: big \(kb["big"]! / 1024) MiB, small \(kb["small"]! / 1024) MiB")
        // Pages the allocator kept from earlier tests and reuses are resident already: less than 96 MiB may be new.
        XCTAssertGreaterThanOrEqual(kb["big"]!, 64 << 10)
        XCTAssertLessThan(kb["big"]!, 200 << 10)
        XCTAssertLessThan(kb["small"]!, 16 << 10)
    }
}
