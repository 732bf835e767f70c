import Foundation
import PromptAlign
import _TestSupport

/// `Tests/Fixtures/prompt/reference.json` (BERT) and `roberta.json` (RoBERTa), written by
/// scripts/fixtures/prompt_align.py (torch).
struct PromptReferenceFixture: Decodable {
    struct Encoded: Decodable {
        let ids: [Int]
        let mask_position: Int
    }

    struct Case: Decodable {
        let name: String
        let model: String
        let mode: String
        let bare_head_completed: Bool
        let max_length: Int
        let batch_size: Int
        let epochs: Int
        let lr: Float
        let total_steps: Int
        let label_ids: [Int]
        let train_labels: [Int]
        let train_texts: [String]
        let test_labels: [Int]
        let test_texts: [String]
        let train_encoded: [Encoded]
        let test_encoded: [Encoded]
        let order: [[Int]]
        let losses: [Double]
        let lrs: [Double]
        let initial_probabilities: [[Float]]
        let final_probabilities: [[Float]]

        var promptMode: PromptMode { PromptMode(rawValue: mode)! }
        var modelURL: URL { TestSupport.repoRoot.appendingPathComponent(model) }
    }

    let template: String
    let label_words: [String]
    let cases: [Case]

    static let bert = "reference.json", roberta = "roberta.json"

    static func load(_ file: String = bert) throws -> PromptReferenceFixture {
        let url = TestSupport.fixtures.appendingPathComponent("prompt/\(file)")
        return try JSONDecoder().decode(PromptReferenceFixture.self, from: Data(contentsOf: url))
    }

    /// Every case of every fixture file (BERT, then RoBERTa), with its file.
    static func allCases() throws -> [(fixture: PromptReferenceFixture, case: Case)] {
        try [load(bert), load(roberta)].flatMap { f in f.cases.map { (f, $0) } }
    }

    func format(_ c: Case) -> PromptFormat {
        PromptFormat(template: template, labelWords: label_words, maxLength: c.max_length)
    }
}
