import PromptAlign
import XCTest

/// The per-K table and figure of `eval.sweep` and `trellis prompt-align-report`.
final class FewShotSweepTests: XCTestCase {
    /// Metrics of one run: `right` of 4 articles (2 real, 2 fake) predicted right.
    func run(_ right: Int) throws -> ClassificationMetrics {
        let truth = [0, 0, 1, 1]
        return try ClassificationMetrics(truth: truth, predicted: truth.enumerated().map { $0 < right ? $1 : 1 - $1 })
    }

    func testTableAndFigure() throws {
        let sweep = FewShotSweep(rows: [
            .init(k: 32, promptOnly: try MetricSummary([run(2), run(4)]), secondsPerRun: 12.4),
            .init(k: 16, labelOnly: try MetricSummary([run(3)]), promptOnly: try MetricSummary([run(2), run(3)]),
                  aligned: try MetricSummary([run(3), run(3)])),
        ])
        XCTAssertEqual(sweep.rows.map(\.k), [16, 32])
        XCTAssertEqual(sweep.markdownTable(), """
        | K | runs | label-only acc | label-only F1 | prompt-only acc | prompt-only F1 | P&A acc | P&A F1 | s / run |
        |---|---|---|---|---|---|---|---|---|
        | 16 | 2 | 75.00 | 73.33 | 62.50 ± 12.50 | 53.33 ± 20.00 | 75.00 ± 0.00 | 73.33 ± 0.00 | – |
        | 32 | 2 | – | – | 75.00 ± 25.00 | 66.67 ± 33.33 | – | – | 12 |

        """)
        let accuracy = sweep.plot(macroF1: false)
        XCTAssertTrue(accuracy.contains("accuracy against K"))
        // A line per method present: prompt-only at both K, P&A and label-only at K = 16 only.
        XCTAssertEqual(accuracy.components(separatedBy: "<polyline").count - 1, 3)
        XCTAssertTrue(accuracy.contains(">prompt-only</text>") && accuracy.contains(">P&amp;A</text>") && accuracy.contains(">label-only</text>"))
        let figure = sweep.figure()
        XCTAssertTrue(figure.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), figure)
        XCTAssertEqual(figure.components(separatedBy: "<g transform=\"translate(").count - 1, 2, "two panels side by side")
        XCTAssertTrue(figure.contains("macro-F1 against K") && figure.contains(">K (labelled training articles)</text>"))
        // The K axis is labelled with the K values of the sweep.
        XCTAssertTrue(accuracy.contains(">16</text>") && accuracy.contains(">32</text>"), accuracy)
    }
}
