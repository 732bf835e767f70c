import Foundation
import XCTest
import _TestSupport
import Tokenizers

/// Fixture files and reference cases shared by the tokenizer tests.
enum Fixtures {
    static let dir = TestSupport.fixtures.appendingPathComponent("tokenizers")

    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// `../shared/<relative>` (or under `$TRELLIS_SHARED`); skips when absent.
    static func shared(_ relative: String) throws -> URL { try TestSupport.sharedPath(relative) }

    static func jsonl(_ name: String) throws -> [[String: Any]] {
        try jsonl(at: path(name))
    }

    static func jsonl(at path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").enumerated().map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.element.utf8)) as? [String: Any],
                          "\(path):\($0.offset + 1): expected a JSON object")
        }
    }

    static func ints(_ v: Any?) -> [Int] { (v as? [Any])?.map { ($0 as! NSNumber).intValue } ?? [] }

    /// The real bert-base-uncased tokenizer from ../shared: skips (XCTSkip) when it is absent; a file that is
    /// present but does not load fails the test with the loader's error.
    static func bert() throws -> any Tokenizer { try bertResult.get() }
    /// The committed BPE and ESM fixtures: missing or broken, they fail the test (never skip).
    static func bpe() throws -> any Tokenizer { try bpeResult.get() }
    static func esm() throws -> any Tokenizer { try esmResult.get() }

    private static let bertResult = Result<any Tokenizer, Error> {
        try TokenizerLoader.load(path: shared("models/all-MiniLM-L6-v2/tokenizer.json").path)
    }
    private static let bpeResult = Result<any Tokenizer, Error> { try TokenizerLoader.load(path: path("bpe/tokenizer.json")) }
    private static let esmResult = Result<any Tokenizer, Error> { try TokenizerLoader.load(path: path("esm/vocab.txt")) }
}
