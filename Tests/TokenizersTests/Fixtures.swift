import Foundation
import XCTest
import _TestSupport
import Tokenizers

/// Fixture files and reference cases shared by the tokenizer tests.
enum Fixtures {
    static let dir = TestSupport.fixtures.appendingPathComponent("tokenizers")

    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// `../shared/<relative>`, also found through `$TRELLIS_SHARED` (worktrees keep ../shared elsewhere).
    static func shared(_ relative: String) throws -> URL {
        if let env = ProcessInfo.processInfo.environment["TRELLIS_SHARED"] {
            let url = URL(fileURLWithPath: env).appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return try TestSupport.sharedPath(relative)
    }

    static func jsonl(_ name: String) throws -> [[String: Any]] {
        try jsonl(at: path(name))
    }

    static func jsonl(at path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    static func ints(_ v: Any?) -> [Int] { (v as? [Any])?.map { ($0 as! NSNumber).intValue } ?? [] }

    static let bert: any Tokenizer = {
        // The real bert-base-uncased vocabulary when ../shared is present, otherwise nothing to test.
        (try? shared("models/all-MiniLM-L6-v2/tokenizer.json")).flatMap { try? TokenizerLoader.load(path: $0.path) }
            ?? ProteinTokenizer.esm()
    }()
    static var hasBert: Bool { bert.kind == "wordpiece" }
    static let bpe: any Tokenizer = try! TokenizerLoader.load(path: path("bpe/tokenizer.json"))
    static let esm: any Tokenizer = try! TokenizerLoader.load(path: path("esm/vocab.txt"))
}
