import Foundation
import ProteinLM
import XCTest
import _TestSupport

/// The training-curve figure of the shipped model's log: perplexities of 113-135 at step 0 fit the axis
/// (the old figure clipped every value at 40), loss and perplexity have their own labelled axes, and the
/// legend fits the figure.
final class PretrainPlotTests: XCTestCase {
    func testShippedTrainingLogIsNotClipped() throws {
        let url = TestSupport.repoRoot.appendingPathComponent("models/pglm-tiny/train-log.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        let log = try text.split(separator: "\n").map { line -> [String: Any] in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let highest = log.compactMap { $0["eval_clm_ppl"] as? Double }.max() ?? 0
        XCTAssertGreaterThan(highest, 100, "the shipped log starts at a perplexity above 100")
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
