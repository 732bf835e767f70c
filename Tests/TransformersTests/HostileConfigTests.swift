import Foundation
import XCTest
import Tensors
import Transformers
import _TestSupport

/// Hostile config.json values, checkpoints and lengths (issue 14): each must be an error naming the file and
/// key (or tensor), never a trap or a failed allocation. On the old code most of these trapped (division by
/// zero, a Range with lowerBound > upperBound, Int32(x) overflow) or allocated what the config described.
final class HostileConfigTests: XCTestCase {
    /// A copy of fixture `name` whose config.json has `changes` applied (nil removes the key).
    func variant(_ name: String, _ changes: [String: Any?]) throws -> URL {
        let src = Fixtures.model(name)
        try Fixtures.requireCommitted(src)
        let dir = try TestSupport.temporaryDirectory("hostile-\(name)")
        let copy = dir.appendingPathComponent(name)
        try FileManager.default.copyItem(at: src, to: copy)
        let url = copy.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        for (k, v) in changes { json[k] = v ?? nil }
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return copy
    }

    func assertLoadFails(_ name: String, _ changes: [String: Any?], _ expected: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try variant(name, changes)
        XCTAssertThrowsError(try ModelLoader.load(directory: dir), file: file, line: line) { error in
            let text = "\(error)"
            print("\(name) \(changes): \(text)")
            XCTAssertTrue(text.contains(expected), "expected '\(expected)' in: \(text)", file: file, line: line)
        }
    }

    func testEsmConfigValidation() throws {
        try assertLoadFails("esm2-tiny", ["num_attention_heads": 0], "config.json: num_attention_heads = 0: must be a positive integer")
        try assertLoadFails("esm2-tiny", ["num_hidden_layers": -3], "num_hidden_layers = -3: must be a positive integer")
        try assertLoadFails("esm2-tiny", ["hidden_size": 30], "hidden_size = 30: must be a multiple of num_attention_heads (4)")
        try assertLoadFails("esm2-tiny", ["hidden_size": 1_000_000_000], "hidden_size = 1000000000: must be at most 65536")
        try assertLoadFails("esm2-tiny", ["hidden_size": 36, "num_attention_heads": 4], "must be even for rotary")
        try assertLoadFails("esm2-tiny", ["layer_norm_eps": 0], "layer_norm_eps = 0.0: must be a finite number > 0")
        try assertLoadFails("esm2-tiny", ["hidden_act": "swoosh"], "hidden_act = 'swoosh': unknown activation")
        try assertLoadFails("esm2-tiny", ["mask_token_id": 99_999_999_999], "mask_token_id = 99999999999")
        try assertLoadFails("esm2-tiny", ["pad_token_id": -1], "pad_token_id = -1")
        try assertLoadFails("esm2-tiny", ["max_position_embeddings": 0], "max_position_embeddings = 0")
        // Sizes that pass the caps but disagree with the checkpoint fail before anything is allocated.
        try assertLoadFails("esm2-tiny", ["vocab_size": 9_000_000],
                            "'esm.embeddings.word_embeddings.weight': shape [33, 32] disagrees with")
        try assertLoadFails("esm2-tiny", ["num_hidden_layers": 900], "num_hidden_layers = 900: the checkpoint")
        try assertLoadFails("esm2-tiny", ["intermediate_size": 4096], "intermediate_size, hidden_size expects [4096, 32]")
    }

    func testBertAndRobertaConfigValidation() throws {
        try assertLoadFails("bert-tiny", ["num_attention_heads": 0], "num_attention_heads = 0: must be a positive integer")
        try assertLoadFails("bert-tiny", ["max_position_embeddings": -1], "max_position_embeddings = -1")
        try assertLoadFails("bert-tiny", ["type_vocab_size": -2], "type_vocab_size = -2")
        try assertLoadFails("bert-tiny", ["pad_token_id": 5_000_000_000], "pad_token_id = 5000000000")
        try assertLoadFails("bert-tiny", ["vocab_size": 10_000_000], "word_embeddings.weight': shape [172, 32] disagrees")
        try assertLoadFails("bert-tiny", ["hidden_act": "nope"], "hidden_act = 'nope'")
        try assertLoadFails("roberta-tiny", ["intermediate_size": 0], "intermediate_size = 0")
        try assertLoadFails("roberta-tiny", ["layer_norm_eps": -1e-5], "layer_norm_eps")
        try assertLoadFails("roberta-tiny", ["num_hidden_layers": 2000], "num_hidden_layers = 2000: must be at most 1024")
    }

    func testPGLMConfigValidation() throws {
        try assertLoadFails("pglm-tiny", ["num_attention_heads": 0, "kv_channels": nil], "num_attention_heads = 0")
        try assertLoadFails("pglm-tiny", ["multi_query_attention": true, "multi_query_group_num": 3],
                            "num_attention_heads = 4: must be a multiple of multi_query_group_num (3)")
        try assertLoadFails("pglm-tiny", ["multi_query_attention": true, "multi_query_group_num": 0], "multi_query_group_num = 0")
        try assertLoadFails("pglm-tiny", ["kv_channels": 7], "kv_channels = 7: must be a multiple of 2")
        try assertLoadFails("pglm-tiny", ["padded_vocab_size": 10_000_000], "padded_vocab_size, hidden_size expects")
        try assertLoadFails("pglm-tiny", ["num_layers": 1024], "num_layers = 1024: the checkpoint")
        try assertLoadFails("pglm-tiny", ["ffn_hidden_size": -85], "ffn_hidden_size = -85")
        try assertLoadFails("pglm-tiny", ["seq_length": 0], "seq_length = 0")
        try assertLoadFails("pglm-tiny", ["layernorm_epsilon": 0], "layernorm_epsilon")
        try assertLoadFails("pglm-tiny", ["pad_token_id": 128], "pad_token_id = 128")
    }

    func testModelDirectoryMessages() throws {
        let dir = try scratchDirectory("not-a-model")
        let file = dir.appendingPathComponent("x.fa")
        try Data(">a\nMK\n".utf8).write(to: file)
        XCTAssertThrowsError(try ModelLoader.load(directory: file)) { e in
            XCTAssertTrue("\(e)".contains("x.fa: is a file, not a directory; a model directory holds config.json"), "\(e)")
        }
        XCTAssertThrowsError(try ModelLoader.load(directory: dir)) { e in
            XCTAssertTrue("\(e)".contains("has no config.json"), "\(e)")
        }
        XCTAssertThrowsError(try ModelLoader.load(directory: URL(fileURLWithPath: "/nonexistent/esm2"))) { e in
            XCTAssertTrue("\(e)".contains("no such directory"), "\(e)")
            XCTAssertFalse("\(e)".contains("NSCocoaErrorDomain"), "\(e)")
        }
        XCTAssertEqual(ModelDirectory.hubIdentifier("facebook/esm2_t6_8M_UR50D"), "facebook/esm2_t6_8M_UR50D")
        XCTAssertNil(ModelDirectory.hubIdentifier("/abs/path"))
        XCTAssertNil(ModelDirectory.hubIdentifier("a/b/c"))
    }

    /// A checkpoint with a NaN weight is rejected at load, naming the tensor (it gave NaN embeddings, exit 0).
    func testNonFiniteWeightsAreRejected() throws {
        let copy = try variant("esm2-tiny", [:])
        let url = copy.appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(url: url)
        var w = SafetensorsWriter()
        for name in file.names.sorted() {
            var values = try file.floats(name)
            if name == "lm_head.bias" { values[3] = .infinity }
            try w.add(name, floats: values, shape: try file.shape(name))
        }
        try w.write(to: url)
        XCTAssertThrowsError(try ModelLoader.load(directory: copy)) { e in
            XCTAssertTrue("\(e)".contains("tensor 'lm_head.bias': holds a non-finite value (inf) at flat index 3"), "\(e)")
        }
    }

    /// The vectorised scan finds the same first non-finite index as a naive search, wherever it sits.
    func testNonFiniteScanMatchesNaiveSearch() throws {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<50 {
            let count = Int.random(in: 1...5000, using: &rng)
            var values = (0..<count).map { _ in Float.random(in: -1e30...1e30, using: &rng) }
            if trial % 5 != 0 {
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    values[Int.random(in: 0..<count, using: &rng)] = [Float.nan, .infinity, -.infinity, .signalingNaN].randomElement()!
                }
            }
            let naive = values.firstIndex { !$0.isFinite }
            let w = WeightLoader(source: InMemoryTensorSource(["t": ([count], values)], location: "mem"))
            _ = w.tensor("t", shape: [count])
            do {
                try w.finish()
                XCTAssertNil(naive, "trial \(trial)")
            } catch {
                XCTAssertNotNil(naive, "trial \(trial): \(error)")
                XCTAssertTrue("\(error)".contains("at flat index \(naive ?? -1)"), "\(error)")
            }
        }
    }

    /// Lengths beyond the positions, and sizes whose product overflows, are errors before any allocation.
    func testLengthsAndAllocationsAreChecked() throws {
        let esm = try Fixtures.load("esm2-tiny")
        XCTAssertEqual(esm.positionLimit, 1026)
        let long = TokenBatch(sequences: [Array(repeating: 5, count: 1027)], padId: 1)
        XCTAssertThrowsError(try esm.forward(long)) { e in
            XCTAssertTrue("\(e)".contains("a sequence of 1027 tokens is longer than the 1026 positions"), "\(e)")
        }
        XCTAssertThrowsError(try AllocationLimit.product([1 << 40, 1 << 40], "test buffer")) { e in
            XCTAssertTrue("\(e)".contains("test buffer"), "\(e)")
        }
        XCTAssertThrowsError(try AllocationLimit.floats([1 << 30, 1 << 20], "big buffer")) { e in
            XCTAssertTrue("\(e)".contains("would need"), "\(e)")
        }
        let pglm = try ModelLoader.loadPGLM(directory: Fixtures.model("pglm-tiny"))
        var c = GenerationConfig(maxNewTokens: 2_000_000_000)
        c.doSample = false
        XCTAssertThrowsError(try pglm.generate(prompts: [[29, 32, 34]], config: c)) { e in
            XCTAssertTrue("\(e)".contains("exceed the 1024 positions"), "\(e)")
        }
    }
}
