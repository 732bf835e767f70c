import Foundation
import XCTest
import Tensors
import Transformers
import _TestSupport

/// Reference outputs of one fixture model directory (`Tests/Fixtures/models/<name>`).
struct Reference {
    let file: SafetensorsFile
    let batch: Int
    let length: Int

    init(model: String, file name: String = "reference.safetensors") throws {
        let url = Fixtures.model(model).appendingPathComponent(name)
        try Fixtures.requireCommitted(url)
        file = try SafetensorsFile(url: url)
        let shape = try file.shape("input_ids")
        batch = shape[0]
        length = shape[1]
    }

    func ints(_ name: String) throws -> [Int32] { try file.int64s(name).map { Int32($0) } }
    func floats(_ name: String) throws -> [Float] { try file.floats(name) }
    func has(_ name: String) -> Bool { file.contains(name) }

    /// The reference batch (ids, mask, and the optional explicit xTrimoPGLM layout tensors).
    func tokenBatch() throws -> TokenBatch {
        TokenBatch(batch: batch, length: length, ids: try ints("input_ids"), attentionMask: try ints("attention_mask"))
    }
}

enum Fixtures {
    /// Committed fixtures are never optional: a missing one fails the test (it is rebuilt by
    /// `scripts/fixtures/models.py`), it does not skip.
    static func requireCommitted(_ url: URL) throws {
        _ = try XCTUnwrap(FileManager.default.fileExists(atPath: url.path) ? url : nil,
                          "committed fixture \(url.path) is missing (rebuild: scripts/fixtures/models.py)")
    }

    static func model(_ name: String) -> URL {
        TestSupport.fixtures.appendingPathComponent("models").appendingPathComponent(name)
    }

    static func load(_ name: String, storage: WeightStorage = .f32) throws -> LanguageModel {
        let dir = model(name)
        try Fixtures.requireCommitted(dir)
        return try ModelLoader.load(directory: dir, options: LoadOptions(storage: storage))
    }

    /// Compares logits and every hidden state with the reference, printing each max abs diff.
    static func assertParity(_ out: ForwardOutput, _ ref: Reference, label: String, tolerance: Float = 1e-4,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        if ref.has("logits") {
            let d = TestSupport.maxAbsDiff(out.logits ?? [], try ref.floats("logits"), label: "\(label) logits")
            XCTAssertLessThan(d, tolerance, "\(label) logits", file: file, line: line)
        }
        var i = 0
        while ref.has("hidden_states.\(i)") {
            XCTAssertLessThan(i, out.hiddenStates.count, "\(label): missing hidden state \(i)", file: file, line: line)
            guard i < out.hiddenStates.count else { break }
            let d = TestSupport.maxAbsDiff(out.hiddenStates[i], try ref.floats("hidden_states.\(i)"),
                                           label: "\(label) hidden_states.\(i)")
            XCTAssertLessThan(d, tolerance, "\(label) hidden_states.\(i)", file: file, line: line)
            i += 1
        }
        XCTAssertEqual(i, out.hiddenStates.count, "\(label): hidden state count", file: file, line: line)
    }
}

/// `../shared/<relative>` (or under `$TRELLIS_SHARED`); skips when absent.
func sharedPath(_ relative: String) throws -> URL { try TestSupport.sharedPath(relative) }
