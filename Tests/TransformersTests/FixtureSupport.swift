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
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("\(url.path) not built yet") }
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
    static func model(_ name: String) -> URL {
        TestSupport.fixtures.appendingPathComponent("models").appendingPathComponent(name)
    }

    static func load(_ name: String, storage: WeightStorage = .f32) throws -> LanguageModel {
        let dir = model(name)
        guard FileManager.default.fileExists(atPath: dir.path) else { throw XCTSkip("\(dir.path) not built yet") }
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

/// `../shared/<relative>` as TestSupport finds it, or under `$TRELLIS_SHARED` when set (worktrees whose
/// parent has no `shared`); skips when neither exists.
func sharedPath(_ relative: String) throws -> URL {
    if let root = ProcessInfo.processInfo.environment["TRELLIS_SHARED"] {
        let url = URL(fileURLWithPath: root).appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: url.path) { return url }
    }
    return try TestSupport.sharedPath(relative)
}
