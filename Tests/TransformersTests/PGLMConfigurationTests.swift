import Foundation
import XCTest
import Tensors
import Transformers
import _TestSupport

/// config.json cases of the official ProteinGLM configuration: bias flags, the kv_channels default, MoE.
final class PGLMConfigurationTests: XCTestCase {
    private func decode(_ json: String) throws -> PGLMConfiguration {
        try JSONDecoder().decode(PGLMConfiguration.self, from: Data(json.utf8))
    }

    func testKVChannelsDefaultsToTheOfficial64() throws {
        let c = try decode(#"{"num_layers": 2, "hidden_size": 32, "num_attention_heads": 4, "ffn_hidden_size": 85, "padded_vocab_size": 128}"#)
        XCTAssertEqual(c.kvChannels, 64)   // not hidden / heads = 8
        let model = try XCTUnwrap(try Fixtures.load("pglm-tiny-linbias") as? PGLMForLM)
        XCTAssertEqual(model.config.kvChannels, 64)
    }

    func testEitherBiasFlagGivesQKVABias() throws {
        for (linear, qkv, expected) in [(true, true, true), (true, false, true), (false, true, true), (false, false, false)] {
            var c = PGLMConfiguration(layers: 1, hidden: 16, heads: 2, ffn: 12, vocabSize: 40)
            c.addBiasLinear = linear
            c.addQkvBias = qkv
            XCTAssertEqual(c.qkvHasBias, expected, "add_bias_linear \(linear) add_qkv_bias \(qkv)")
            let names = PGLMTrainingModel.parameterSpecs(c).map(\.name)
            XCTAssertEqual(names.contains("transformer.encoder.layers.0.self_attention.query_key_value.bias"), expected)
            XCTAssertEqual(names.contains("transformer.encoder.layers.0.mlp.dense_h_to_4h.bias"), linear)
            // Random weights have exactly the tensors the runtime expects (the loader refuses extras and gaps).
            XCTAssertNoThrow(try randomPGLM(c))
        }
    }

    func testMoEKeysAreCheckedAndTrainingRefusesMoE() throws {
        let dir = try scratchDirectory("pglm-moe")
        let src = Fixtures.model("pglm-tiny-moe")
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: src.appendingPathComponent("config.json"))) as? [String: Any])
        json["experts_per_token"] = 5   // more than the 4 experts
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: src.appendingPathComponent("model.safetensors"), to: dir.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try ModelLoader.load(directory: dir)) { error in
            let text = "\(error)"
            for needle in ["config.json", "num_experts 4", "experts_per_token 5"] {
                XCTAssertTrue(text.contains(needle), "missing '\(needle)' in: \(text)")
            }
        }
        let model = try XCTUnwrap(try Fixtures.load("pglm-tiny-moe") as? PGLMForLM)
        assertThrows(try PGLMTrainingModel(config: model.config, seed: 1), containing: "moe false")
        // Random MoE weights have exactly the tensors the runtime expects.
        XCTAssertNoThrow(try randomPGLM(model.config))
    }

    /// Routing: the k largest logits (lower index on ties), softmaxed among themselves.
    func testRouteTakesTopKAndSoftmaxes() {
        let logits: [Float] = [0.5, 2.0, -1.0, 2.0]
        XCTAssertEqual(PGLMForLM.expertRoute(logits, k: 2).map(\.expert), [1, 3])
        let r = PGLMForLM.expertRoute(logits, k: 3)
        XCTAssertEqual(r.map(\.expert), [1, 3, 0])
        let z = 2 * expf(0) + expf(-1.5)
        XCTAssertEqual(r[0].weight, 1 / z, accuracy: 1e-6)
        XCTAssertEqual(r[2].weight, expf(-1.5) / z, accuracy: 1e-6)
    }

    /// The training model loads the add_bias_linear-only fixture and reproduces the reference CLM logits.
    func testTrainingModelMatchesReferenceWithLinearBiasOnly() throws {
        let name = "pglm-tiny-linbias"
        let ref = try Reference(model: name, file: "reference-clm.safetensors")
        let m = try PGLMTrainingModel(directory: Fixtures.model(name))
        let ids = try ref.ints("input_ids"), mask = try ref.ints("attention_mask"), logits = try ref.floats("logits")
        let v = m.vocabularySize
        XCTAssertNotNil(m.parameters.entry("transformer.output_layer.bias"))
        for row in 0..<ref.batch {
            let t = mask[(row * ref.length)..<((row + 1) * ref.length)].filter { $0 != 0 }.count
            let rowIds = Array(ids[(row * ref.length)..<(row * ref.length + t)])
            let batch = TrainingBatch(batch: 1, length: t, ids: rowIds, positions: (0..<t).map(Int32.init), blocks: nil,
                                      mask: TrainingMask(lengths: [t], prefixes: [0]), selected: Array(0..<t),
                                      targets: [Int32](repeating: 0, count: t))
            let ours = m.forward(batch, training: false)
            // The checkpoint's output_layer.bias is part of the training head (it was once dropped silently).
            let expected = Array(logits[(row * ref.length * v)..<((row * ref.length + t) * v)])
            let d = TestSupport.maxAbsDiff(ours, expected, label: "\(name) training forward row \(row)")
            XCTAssertLessThan(d, 1e-4)
        }
    }

    /// Without add_bias_linear and add_qkv_bias the trained checkpoint has no Linear biases and loads back.
    func testTrainingSaveWithoutLinearBiasesLoadsInRuntime() throws {
        var c = PGLMConfiguration(layers: 2, hidden: 32, heads: 4, ffn: 48, vocabSize: 128, causal: true)
        c.addBiasLinear = false
        c.addQkvBias = false
        try assertSavedModelMatchesRuntime(try PGLMTrainingModel(config: c, seed: 3), label: "no-bias")
    }

    /// Saves `m`, loads it in the runtime and compares CLM logits of one row with the training forward's.
    private func assertSavedModelMatchesRuntime(_ m: PGLMTrainingModel, label: String) throws {
        let dir = try TestSupport.temporaryDirectory("pglm-\(label)")
        try m.save(to: dir, dtype: .f32)
        let loaded = try ModelLoader.load(directory: dir)
        let ids = Self.ids
        let ref = try loaded.forward(TokenBatch(batch: 1, length: 8, ids: ids, attentionMask: [Int32](repeating: 1, count: 8)),
                                     options: ForwardOptions(hiddenStates: false, mode: .clm))
        let batch = Self.clmBatch(selected: Array(0..<8), targets: [Int32](repeating: 0, count: 8))
        let d = TestSupport.maxAbsDiff(m.forward(batch, training: false), ref.logits!, label: "\(label) training vs runtime")
        XCTAssertLessThan(d, 1e-4)
    }

    private static let ids: [Int32] = [29, 32, 34, 5, 9, 12, 1, 3]
    private static func clmBatch(selected: [Int], targets: [Int32]) -> TrainingBatch {
        TrainingBatch(batch: 1, length: 8, ids: ids, positions: (0..<8).map(Int32.init), blocks: nil,
                      mask: TrainingMask(lengths: [8], prefixes: [0]), selected: selected, targets: targets)
    }

    /// A head bias is trained (it gets a gradient and moves), saved, and gives the runtime's logits on reload.
    func testOutputLayerBiasIsTrainedAndSaved() throws {
        let m = try PGLMTrainingModel(directory: Fixtures.model("pglm-tiny-linbias"))
        let before = m.parameters.array("transformer.output_layer.bias")
        let batch = Self.clmBatch(selected: Array(0..<7), targets: Array(Self.ids[1...]))
        m.parameters.zeroGradients()
        m.trainStep(batch)
        let grad = UnsafeBufferPointer(start: m.parameters.gradient("transformer.output_layer.bias"), count: before.count)
        XCTAssertGreaterThan(grad.map(abs).max() ?? 0, 1e-6)
        AdamW(count: m.parameters.count).update(m.parameters, lr: 1e-2)
        XCTAssertNotEqual(m.parameters.array("transformer.output_layer.bias"), before)
        try assertSavedModelMatchesRuntime(m, label: "head-bias")
    }

    /// A model built without a head bias refuses a checkpoint that has one instead of dropping it.
    func testCheckpointTensorsTheModelDoesNotTrainAreRefused() throws {
        let dir = Fixtures.model("pglm-tiny-linbias")
        let c = try JSONDecoder().decode(PGLMConfiguration.self, from: Data(contentsOf: dir.appendingPathComponent("config.json")))
        let m = try PGLMTrainingModel(config: c, seed: 1)
        let file = try SafetensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        assertThrows(try m.parameters.load(from: file, refusingOthers: true), containing: "transformer.output_layer.bias")
    }
}
