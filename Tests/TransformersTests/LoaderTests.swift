import Foundation
import XCTest
import Transformers
import _TestSupport

final class LoaderTests: XCTestCase {
    func testOneErrorListsMissingUnexpectedAndMisshapedTensors() throws {
        let c = PGLMConfiguration(layers: 1, hidden: 8, heads: 2, ffn: 12, vocabSize: 16)
        let good = try randomPGLM(c)
        XCTAssertEqual(good.layerCount, 1)
        // Rebuild the same tensors, then break three of them.
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        let names = ["transformer.embedding.word_embeddings.weight", "transformer.encoder.final_layernorm.weight",
                     "transformer.encoder.final_layernorm.bias"]
        tensors[names[0]] = ([16, 8], Array(repeating: 0.1, count: 128))
        tensors[names[1]] = ([7], Array(repeating: 1, count: 7))          // wrong shape
        tensors["transformer.encoder.layers.0.self_attention.rotary_emb.inv_freq"] = ([2], [1, 1])  // ignored buffer
        tensors["transformer.conv_layer.weight"] = ([1], [0])             // unexpected
        do {
            _ = try PGLMForLM(config: c, weights: WeightLoader(source: InMemoryTensorSource(tensors, location: "ckpt")))
            XCTFail("loading should fail")
        } catch let error as TransformersError {
            let text = error.description
            print(text)
            XCTAssertTrue(text.contains("missing tensors"))
            XCTAssertTrue(text.contains("transformer.encoder.final_layernorm.bias [8]"))
            XCTAssertTrue(text.contains("transformer.encoder.layers.0.mlp.dense_h_to_4h.weight [24, 8]"))
            XCTAssertTrue(text.contains("unexpected tensors (1)"))
            XCTAssertTrue(text.contains("transformer.conv_layer.weight"))
            XCTAssertTrue(text.contains("final_layernorm.weight: checkpoint has [7], model expects [8]"))
            XCTAssertFalse(text.contains("inv_freq"))
        }
    }

    func testOutOfRangeIdsAreRejected() throws {
        let model = try randomPGLM(PGLMConfiguration(layers: 1, hidden: 8, heads: 2, ffn: 12, vocabSize: 16))
        assertThrows(try model.forward(TokenBatch(sequences: [[1, 2], [3, 99]], padId: 0)), containing: "token id 99 at sequence 1, position 1")
        let cache = model.makeCache(batch: 1, capacity: 4)
        _ = try model.prefill(TokenBatch(sequences: [[9, 3]], padId: 0), mode: .clm, cache: cache)
        XCTAssertThrowsError(try model.decode([16], cache: cache))
    }

    func testConfigErrorNamesTheKey() throws {
        let dir = try scratchDirectory()
        try Data(#"{"model_type": "esm", "hidden_size": 8}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try ModelLoader.load(directory: dir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("config.json"), text)
        }
        try Data(#"{"model_type": "gpt2"}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        assertThrows(try ModelLoader.load(directory: dir), containing: "gpt2")
    }

    func testBareMiniLMLoadsWithoutHead() throws {
        let dir = try sharedPath("models/all-MiniLM-L6-v2")
        let model = try ModelLoader.load(directory: dir)
        XCTAssertEqual(model.family, "bert")
        XCTAssertEqual(model.hiddenSize, 384)
        XCTAssertEqual(model.vocabularySize, 0)
        let out = try model.forward(TokenBatch(sequences: [[101, 7592, 2088, 102], [101, 102]], padId: 0))
        XCTAssertNil(out.logits)
        XCTAssertEqual(out.hiddenStates.count, 7)
        XCTAssertTrue(out.lastHiddenState.allSatisfy(\.isFinite))
    }
}
