import Foundation
import ProteinLM
import Tensors
import Transformers
import XCTest
import _TestSupport

/// `protein.generate` greedy decoding follows the reference model's argmax path.
final class GreedyGenerateTests: XCTestCase {
    /// For every reference greedy case: at each step, the argmax of the reference's step logits over the
    /// ids `protein.generate` may produce (20 standard residues + <eos>/<eop>/<eod>) is the token we chose;
    /// checked while our path equals the reference's (its step logits exist only along its own path).
    func testGreedyFollowsTheReferenceArgmaxPath() throws {
        let stops: Set<Int> = [31, 33, 34]
        let allowed = Set(1...20).union(stops)
        var checkedSteps = 0
        for name in ["pglm-tiny", "pglm-tiny-2d", "pglm-tiny-mqa", "pglm-tiny-linbias", "pglm-tiny-moe"] {
            let dir = P.models.appendingPathComponent(name)
            let model = try P.model(name)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("generate-greedy.json"))) as? [String: Any])
            let logits = try SafetensorsFile(url: dir.appendingPathComponent("generate-greedy.safetensors"))
            let steps = try XCTUnwrap(json["steps"] as? Int)
            for case let c as [String: Any] in try XCTUnwrap(json["cases"] as? [Any]) {
                let label = "\(name) \(c["name"] ?? "?")"
                let reference = try XCTUnwrap(c["generated_ids"] as? [Int])
                let stepLogits = try logits.floats("\(c["name"]!).logits")   // [steps, V]
                let v = stepLogits.count / steps
                var o = GenerateOptions()
                o.greedy = true
                o.seed = 99   // ignored when greedy
                o.mode = AttentionMode(rawValue: try XCTUnwrap(c["mode"] as? String)) ?? .clm
                let text = try XCTUnwrap(c["prompt"] as? String)
                if o.mode == .glm { o.context = text; o.prompts = [""] } else { o.prompts = [text] }
                let prompt = o.mode == .glm ? "" : text
                o.maxLength = prompt.count + steps
                let g = try ProteinGenerator.generate(model: model, options: o)
                XCTAssertEqual(g.count, 1)
                // Our tokens: the residues after the prompt, then the stop (if any).
                var ours = String(g[0].sequence.dropFirst(prompt.count)).map { Int(model.id(of: UInt8($0.asciiValue!))) }
                var oursStopped = g[0].stopped
                for s in 0..<steps {
                    let row = stepLogits[(s * v)..<((s + 1) * v)]
                    var best = -1
                    for i in row.indices where allowed.contains(i - s * v) && (best < 0 || row[i] > row[best]) { best = i }
                    let expected = best - s * v
                    checkedSteps += 1
                    if stops.contains(expected) {
                        XCTAssertTrue(oursStopped && ours.isEmpty, "\(label) step \(s): reference argmax is stop \(expected)")
                        oursStopped = false
                        break
                    }
                    guard !ours.isEmpty else { XCTFail("\(label) step \(s): ended early, expected \(expected)"); break }
                    let mine = ours.removeFirst()
                    XCTAssertEqual(mine, expected, "\(label) step \(s)")
                    if mine != reference[s] { break }   // left the reference's path: no more step logits
                }
                XCTAssertTrue(g[0].header.contains("decoding=greedy"), g[0].header)
                // The seed plays no part in greedy output, so the header does not claim one.
                XCTAssertFalse(g[0].header.contains("seed="), g[0].header)
            }
        }
        print("greedy steps checked against reference logits: \(checkedSteps)")
        XCTAssertGreaterThan(checkedSteps, 20)
    }

    func testTemperatureZeroIsGreedyAndSamplesAgree() throws {
        let model = try P.model("pglm-tiny-2d")
        var o = GenerateOptions()
        o.prompts = ["MLF"]
        o.samples = 2
        o.maxLength = 20
        o.greedy = true
        let a = try ProteinGenerator.generate(model: model, options: o)
        o.greedy = false
        o.temperature = 0
        o.seed = 5
        let b = try ProteinGenerator.generate(model: model, options: o)
        XCTAssertEqual(a.map(\.sequence), b.map(\.sequence))
        XCTAssertEqual(a[0].sequence, a[1].sequence)
        o.temperature = -1
        assertThrows(try ProteinGenerator.generate(model: model, options: o), containing: "temperature")
    }
}
