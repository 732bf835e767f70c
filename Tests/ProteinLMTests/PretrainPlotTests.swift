import Foundation
import ProteinLM
import XCTest
import _TestSupport

/// The training-curve figure: perplexities of 113-135 (the earlier shipped model's log; the old figure
/// clipped every value at 40) and the shipped model's own log fit the axis, loss and perplexity have their
/// own labelled axes, and the legend fits the figure.
final class PretrainPlotTests: XCTestCase {
    func testHighPerplexitiesAreNotClipped() throws {
        // Perplexities falling from 135 to 113 over 10 evaluations, as the earlier shipped log did.
        var log: [[String: Any]] = []
        for i in 0..<10 {
            let x = Double(i)
            let clm: Double = 135 - 2.2 * x, mlm: Double = 130 - 2.0 * x, glm: Double = 133 - 2.1 * x
            let loss: Double = 4.9 - 0.02 * x
            log.append(["step": i * 100, "loss": loss, "eval_clm_ppl": clm, "eval_mlm_ppl": mlm, "eval_glm_ppl": glm])
        }
        try checkPlot(log)
    }

    func testShippedTrainingLogIsNotClipped() throws {
        let url = TestSupport.repoRoot.appendingPathComponent("models/pglm-tiny/train-log.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        let log = try text.split(separator: "\n").map { line -> [String: Any] in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        try checkPlot(log)
    }

    private func checkPlot(_ log: [[String: Any]]) throws {
        let highest = log.compactMap { $0["eval_clm_ppl"] as? Double }.max() ?? 0
        XCTAssertGreaterThan(highest, 0, "the log has CLM perplexities")
        let svg = PretrainPlot.svg(log: log)
        // Tick labels of the perplexity axis: the largest is at least the largest perplexity.
        let ticks = svg.components(separatedBy: "text-anchor=\"end\">").dropFirst().compactMap { Double($0.prefix { $0 != "<" }) }
        XCTAssertGreaterThanOrEqual(ticks.max() ?? 0, highest, "ticks: \(ticks)")
        for label in [">step</text>", ">loss (nats)</text>", ">perplexity</text>", ">GLM (half-window context)</text>"] {
            XCTAssertTrue(svg.contains(label) || label.contains("GLM") && log.allSatisfy { $0["eval_glm_ppl"] == nil }, label)
        }
        let sizes = svg.components(separatedBy: "font-size=\"").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        XCTAssertGreaterThanOrEqual(sizes.min() ?? 0, 11)
    }
}
