import Foundation
import XCTest
import Tensors
import Transformers
import _TestSupport

final class PGLMParityTests: XCTestCase {
    func testPglmTiny() throws { try check("pglm-tiny") }
    func testPglmTinySharded() throws { try check("pglm-tiny-sharded") }
    func testPglmTinyBF16() throws { try check("pglm-tiny-bf16") }
    func testPglmTiny2DTied() throws { try check("pglm-tiny-2d") }
    func testPglmTinyMQA() throws { try check("pglm-tiny-mqa") }
    /// add_bias_linear without add_qkv_bias (QKV keeps a bias) and no kv_channels key (official default 64).
    func testPglmTinyLinearBiasDefaultKVChannels() throws { try check("pglm-tiny-linbias") }
    /// moe: 4 experts, top-2 routing.
    func testPglmTinyMixtureOfExperts() throws { try check("pglm-tiny-moe") }

    /// Logits and hidden states of every mode, with positions and masks derived by the runtime
    /// (the reference's own `position_ids` / `attention_bias` are only compared, not used).
    private func check(_ name: String) throws {
        let model = try XCTUnwrap(try Fixtures.load(name) as? PGLMForLM)
        for mode in AttentionMode.allCases {
            let ref = try Reference(model: name, file: "reference-\(mode.rawValue).safetensors")
            let batch = try ref.tokenBatch()
            let layout = try model.layout(batch, mode: mode)
            XCTAssertEqual(layout.positions, try ref.ints("position_ids"), "\(name) \(mode) position_ids")
            if model.config.rotaryEmbedding2d {
                XCTAssertEqual(layout.blocks, try ref.ints("block_position_ids"), "\(name) \(mode) block ids")
            }
            let out = try model.forward(batch, options: ForwardOptions(mode: mode))
            try Fixtures.assertParity(out, ref, label: "\(name) \(mode)", tolerance: 1e-4)
            // The same with the reference's explicit bias must agree too.
            var explicit = batch
            explicit.attentionBias = try ref.floats("attention_bias")
            let out2 = try model.forward(explicit, options: ForwardOptions(mode: mode))
            let d = TestSupport.maxAbsDiff(out2.logits!, try ref.floats("logits"), label: "\(name) \(mode) logits, explicit bias")
            XCTAssertLessThan(d, 1e-4)
        }
    }

    func testGreedyGenerationMatchesReferenceWithCache() throws {
        for name in ["pglm-tiny", "pglm-tiny-2d", "pglm-tiny-mqa", "pglm-tiny-bf16", "pglm-tiny-linbias", "pglm-tiny-moe"] {
            let model = try XCTUnwrap(try Fixtures.load(name) as? PGLMForLM)
            let dir = Fixtures.model(name)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("generate-greedy.json"))) as! [String: Any]
            let logits = try SafetensorsFile(url: dir.appendingPathComponent("generate-greedy.safetensors"))
            let steps = json["steps"] as! Int
            for case let c as [String: Any] in json["cases"] as! [Any] {
                let label = "\(name) \(c["name"]!)"
                let mode = AttentionMode(rawValue: c["mode"] as! String)!
                let prompt = (c["prompt_ids"] as! [Int]).map(Int32.init)
                let expected = (c["generated_ids"] as! [Int]).map(Int32.init)
                let config = GenerationConfig(maxNewTokens: steps, allowedTokenIds: Set((0..<36).map(Int32.init)))
                var stepLogits: [Float] = []
                let r = try model.generate(prompts: [prompt], mode: mode, config: config, useCache: true) { stepLogits += $1 }
                XCTAssertEqual(r.tokens[0], expected, label)
                let d = TestSupport.maxAbsDiff(stepLogits, try logits.floats("\(c["name"]!).logits"), label: "\(label) cached step logits")
                XCTAssertLessThan(d, 1e-4, label)
            }
        }
    }
}
