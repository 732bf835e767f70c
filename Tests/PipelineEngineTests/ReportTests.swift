import Foundation
import PipelineEngine
import XCTest

/// The run report embeds the SVG figures and small text tables the stages wrote, in spec order, and
/// lists by path what it cannot inline.
final class ReportTests: XCTestCase {
    func report(_ r: RunSummary) throws -> String {
        try String(contentsOf: r.runDirectory.appendingPathComponent("report.html"), encoding: .utf8)
    }

    /// Runs `spec` in a fresh project (every stage must finish); returns the project, the run and its report.
    func runReport(_ spec: String, file: StaticString = #filePath, line: UInt = #line) throws -> (Project, RunSummary, String) {
        let p = try Project()
        let r = try p.runOK(spec, file: file, line: line)
        return (p, r, try report(r))
    }

    func testFiguresAndTablesAreInlinedInSpecOrder() throws {
        let spec = """
        stages:
          plot:
            uses: shell
            with:
              command: |
                printf '<?xml version="1.0" encoding="UTF-8"?>\\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\\n' > out/fig.svg
                printf '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle id="dot-1" r="4"/></svg>\\n' >> out/fig.svg
                printf 'metric  value\\nacc     <0.5 & more>\\n' > out/table.txt
                echo 'a,b' > out/data.csv
              outputs:
                figure: out/fig.svg
                table: out/table.txt
                data: out/data.csv
          second:
            uses: shell
            needs: [plot]
            with:
              command: echo '<svg xmlns="http://www.w3.org/2000/svg"><rect id="second-rect"/></svg>' > out/b.svg
              outputs: [out/b.svg]
        """
        let (p, _, page) = try runReport(spec)
        var html = page
        XCTAssertTrue(html.contains("<h2>Main figures</h2>") && html.contains("<h2>Figures and tables</h2>"), html)
        XCTAssertTrue(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><circle id=\"dot-1\" r=\"4\"/></svg>"), html)
        XCTAssertFalse(html.contains("<?xml"), "the XML prolog is dropped")
        XCTAssertFalse(html.contains("<!DOCTYPE svg"), "the SVG doctype is dropped")
        XCTAssertTrue(html.contains("<b>plot</b> · figure <a href=\"file://") && html.contains("<code>out/fig.svg</code></a>"), html)
        XCTAssertTrue(html.contains("<pre>metric  value\nacc     &lt;0.5 &amp; more&gt;\n</pre>"), html)
        XCTAssertFalse(html.contains("<code>out/data.csv</code>"), "only SVG and .txt files are shown (others are linked)")
        XCTAssertTrue(html.contains("out/data.csv\">data.csv</a>"), "the stage table links every published file")
        // The figure of the stage nothing depends on is the main one, shown first; the others follow in spec order.
        let first = html.range(of: "dot-1")!.lowerBound, second = html.range(of: "second-rect")!.lowerBound
        let mainHeading = html.range(of: "<h2>Main figures</h2>")!.lowerBound
        let othersHeading = html.range(of: "<h2>Figures and tables</h2>")!.lowerBound
        XCTAssertLessThan(mainHeading, second)
        XCTAssertLessThan(second, othersHeading)
        XCTAssertLessThan(othersHeading, first)
        XCTAssertLessThan(first, html.range(of: "metric  value")!.lowerBound, "outputs of a stage by name: figure, table")
        // A cached run shows the same figures.
        let again = try p.run(spec)
        XCTAssertEqual(again.count("cached"), 2)
        html = try report(again)
        XCTAssertTrue(html.contains("dot-1") && html.contains("second-rect"), html)
    }

    func testMissingAndLargeFilesAreListed() throws {
        let (_, _, html) = try runReport("""
        stages:
          big:
            uses: shell
            with:
              command: |
                { echo '<svg xmlns="http://www.w3.org/2000/svg">'; head -c 2200000 /dev/zero | tr '\\0' ' '; echo '<g id="big-g"/></svg>'; } > out/big.svg
                echo '<svg xmlns="http://www.w3.org/2000/svg"><g id="gone"/></svg>' > out/gone.svg
                echo 'not svg' > out/fake.svg
              outputs:
                big: out/big.svg
                gone: out/gone.svg
                fake: out/fake.svg
          remove:
            uses: shell
            needs: [big]
            with:
              command: rm "$TRELLIS_PROJECT/out/gone.svg"
        """)
        XCTAssertFalse(html.contains("big-g"), "an SVG over 2 MiB is not inlined")
        XCTAssertTrue(html.contains(">out/big.svg</a> (2.1 MiB, more than the 2 MiB inlined)"), html)
        XCTAssertTrue(html.contains(">out/gone.svg</a> (missing)"), html)
        XCTAssertTrue(html.contains(">out/fake.svg</a> (not an SVG document)"), html)
        XCTAssertTrue(html.contains("<a href=\"file://"), html)
    }

    func testNoFiguresNoSection() throws {
        let (_, _, html) = try runReport("stages:\n  s:\n    uses: shell\n    with:\n      command: \"true\"\n")
        XCTAssertFalse(html.contains("<h2>Main figures</h2>") || html.contains("<h2>Figures and tables</h2>"), html)
    }
}
