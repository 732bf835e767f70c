import Foundation
import Tensors
import Transformers
import _TestSupport
import XCTest

/// Checkpoints written by the trainers load back in the runtime with the same logits, and training resumes
/// from saved optimiser state exactly.
final class TrainingCheckpointTests: XCTestCase {
    /// Logits of every row from the training forward (all rows selected).
    func trainingLogits(_ m: TrainableModel, ids: [Int32], b: Int, t: Int, mode: AttentionMode, rotary2D: Bool = false,
                        training: Bool = false) -> [Float] {
        var pos = (0..<(b * t)).map { Int32($0 % t) }
        var blk = [Int32](repeating: 0, count: b * t)
        if mode == .clm && rotary2D { blk = pos; pos = [Int32](repeating: 0, count: b * t) }
        let batch = TrainingBatch(batch: b, length: t, ids: ids, positions: pos, blocks: rotary2D ? blk : nil,
                                  mask: TrainingMask(lengths: [Int](repeating: t, count: b),
                                                     prefixes: [Int](repeating: mode == .clm ? 0 : t, count: b)),
                                  selected: Array(0..<(b * t)), targets: [Int32](repeating: 0, count: b * t))
        return m.forward(batch, training: training)
    }

    func testPGLMSaveLoadsInRuntimeWithSameLogits() throws {
        // DeepNorm with 1-D and 2-D RoPE, and the pre-LN layout (α = 1, residual from the layer input).
        for (rotary2D, preLN) in [(false, false), (true, false), (true, true)] {
            var c = PGLMConfiguration(layers: 2, hidden: 32, heads: 4, ffn: 48, vocabSize: 128, causal: false, rotary2D: rotary2D)
            if preLN { c.deepnorm = false; c.applyResidualConnectionPostLayernorm = false }
            let m = try PGLMTrainingModel(config: c, seed: 5)
            let dir = try TestSupport.temporaryDirectory("pglm-save")
            try m.save(to: dir, dtype: .f32)
            let loaded = try ModelLoader.load(directory: dir)
            let ids: [Int32] = [29, 32, 34, 5, 9, 12, 1, 3, 29, 32, 34, 7, 7, 2, 18, 20]
            for mode in [AttentionMode.mlm, .clm] {
                let ref = try loaded.forward(TokenBatch(batch: 2, length: 8, ids: ids, attentionMask: [Int32](repeating: 1, count: 16)),
                                             options: ForwardOptions(hiddenStates: false, mode: mode))
                let ours = trainingLogits(m, ids: ids, b: 2, t: 8, mode: mode, rotary2D: rotary2D)
                let d = TestSupport.maxAbsDiff(ours, ref.logits!, label: "pglm 2-D \(rotary2D) pre-LN \(preLN) \(mode) training vs runtime logits")
                XCTAssertLessThan(d, 1e-4)
            }
        }
    }

    func testEncoderSaveLoadsInRuntimeWithSameLogits() throws {
        for name in ["bert-tiny", "roberta-tiny", "esm2-tiny"] {
            let m = try EncoderTrainingModel(directory: TestSupport.fixtures.appendingPathComponent("models/\(name)"))
            // RoBERTa's second row ends in attended padding (position padding_idx, as in prompting's reference mode).
            let ids: [Int32] = switch name {
            case "bert-tiny": [2, 7, 9, 4, 11, 3, 2, 8, 8, 4, 5, 3]
            case "roberta-tiny": [0, 7, 9, 4, 11, 2, 0, 8, 4, 2, 1, 1]
            default: [0, 5, 9, 32, 11, 2, 0, 8, 8, 6, 5, 2]
            }
            let positions = m.positionIds(ids, batch: 2, length: 6)
            // One AdamW step so the saved weights differ from the fixture's.
            let b = TrainingBatch(batch: 2, length: 6, ids: ids, positions: positions,
                                  mask: TrainingMask(lengths: [6, 6], prefixes: [6, 6]), selected: [3, 9], targets: [10, 12])
            m.trainStep(b)
            AdamW(count: m.parameters.count).update(m.parameters, lr: 1e-2)
            let dir = try TestSupport.temporaryDirectory("\(name)-save")
            try m.save(to: dir, dtype: .f32)
            // Saved in the loaded layout: the same tensor names and config.
            let source = TestSupport.fixtures.appendingPathComponent("models/\(name)")
            XCTAssertEqual(Set(try SafetensorsFile(url: dir.appendingPathComponent("model.safetensors")).names),
                           Set(try SafetensorsFile(url: source.appendingPathComponent("model.safetensors")).names), name)
            XCTAssertEqual(try ModelLoader.family(directory: dir), try ModelLoader.family(directory: source), name)
            let loaded = try ModelLoader.load(directory: dir)
            let ref = try loaded.forward(TokenBatch(batch: 2, length: 6, ids: ids, attentionMask: [Int32](repeating: 1, count: 12)),
                                         options: ForwardOptions(hiddenStates: false))
            let all = TrainingBatch(batch: 2, length: 6, ids: ids, positions: positions,
                                    mask: TrainingMask(lengths: [6, 6], prefixes: [6, 6]), selected: Array(0..<12),
                                    targets: [Int32](repeating: 0, count: 12))
            let ours = m.forward(all, training: false)
            XCTAssertLessThan(TestSupport.maxAbsDiff(ours, ref.logits!, label: "\(name) fine-tuned: training vs runtime logits"), 1e-4)
        }
    }

    /// transformers ties RoBERTa's `lm_head.decoder.bias` to `lm_head.bias` and may save either name (or both):
    /// each layout loads into the trained bias, and saving writes `lm_head.bias` once.
    func testRobertaDecoderBiasNamesLoadIntoTheHeadBias() throws {
        let source = TestSupport.fixtures.appendingPathComponent("models/roberta-tiny")
        let file = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        let bias = try file.floats("lm_head.bias")
        for names in [["lm_head.decoder.bias"], ["lm_head.bias", "lm_head.decoder.bias"]] {
            let dir = try TestSupport.temporaryDirectory("roberta-decoder-bias")
            try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
            var w = SafetensorsWriter(metadata: ["format": "pt"])
            for name in file.names where name != "lm_head.bias" { try w.add(name, floats: try file.floats(name), shape: try file.shape(name)) }
            for name in names { try w.add(name, floats: bias, shape: [bias.count]) }
            try w.write(to: dir.appendingPathComponent("model.safetensors"))
            let m = try EncoderTrainingModel(directory: dir)
            XCTAssertEqual(m.parameters.array("lm_head.bias"), bias, "\(names)")
            let saved = try TestSupport.temporaryDirectory("roberta-decoder-bias-saved")
            try m.save(to: saved, dtype: .f32)
            let written = try SafetensorsFile(url: saved.appendingPathComponent("model.safetensors")).names
            XCTAssertEqual(written.filter { $0.hasPrefix("lm_head.") && $0.hasSuffix("bias") }.sorted(),
                           ["lm_head.bias", "lm_head.dense.bias", "lm_head.layer_norm.bias"], "\(names)")
        }
    }

    func testRobertaPositionIdsCountFromPadding() throws {
        let m = try EncoderTrainingModel(directory: TestSupport.fixtures.appendingPathComponent("models/roberta-tiny"))
        // padding_idx 1: real tokens get 2, 3, …; pads keep 1 wherever they are (from the ids, not a mask).
        XCTAssertEqual(m.positionIds([0, 7, 1, 9, 1, 1], batch: 1, length: 6), [2, 3, 1, 4, 1, 1])
        let bert = try EncoderTrainingModel(directory: TestSupport.fixtures.appendingPathComponent("models/bert-tiny"))
        XCTAssertEqual(bert.positionIds([2, 7, 0, 0], batch: 2, length: 2), [0, 1, 0, 1])
    }

    func testDropoutOnlyInTrainingAndSeeded() throws {
        let c = PGLMConfiguration(layers: 1, hidden: 16, heads: 2, ffn: 16, vocabSize: 40, causal: false)
        let ids: [Int32] = [3, 5, 7, 9, 11, 13]
        func logits(dropout: Float, training: Bool, seed: UInt64) throws -> [Float] {
            let m = try PGLMTrainingModel(config: c, seed: 1)
            m.dropout = dropout
            m.reseedDropout(seed)
            return trainingLogits(m, ids: ids, b: 1, t: 6, mode: .mlm, training: training)
        }
        XCTAssertEqual(try logits(dropout: 0.5, training: false, seed: 1), try logits(dropout: 0, training: true, seed: 1))
        XCTAssertEqual(try logits(dropout: 0.5, training: true, seed: 2), try logits(dropout: 0.5, training: true, seed: 2))
        XCTAssertNotEqual(try logits(dropout: 0.5, training: true, seed: 2), try logits(dropout: 0, training: true, seed: 2))
    }
}
