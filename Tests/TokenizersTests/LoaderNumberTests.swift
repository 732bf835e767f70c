import Foundation
import XCTest
import _TestSupport
import Tokenizers

/// Numbers in tokenizer files are checked, never converted with a trapping conversion.
final class LoaderNumberTests: XCTestCase {
    private func load(_ files: [String: String]) throws -> String {
        let dir = try TestSupport.temporaryDirectory("tok-num")
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        do { _ = try TokenizerLoader.load(path: dir.path); return "no error" } catch { return "\(error)" }
    }

    func testHugeOrFractionalTokenIds() throws {
        // Before: `Int(1e300)` trapped (SIGILL) while reading the vocabulary.
        let wordPiece = #"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1e300}}}"#
        let m1 = try load(["tokenizer.json": wordPiece])
        XCTAssertTrue(m1.contains("model.vocab.a") && m1.contains("out of range 1e300"), m1)
        let m2 = try load(["vocab.json": #"{"a": 0, "b": 64.5}"#, "merges.txt": "#version: 0.2\n"])
        XCTAssertTrue(m2.contains("vocab.json") && m2.contains("found 64.5"), m2)
        let m3 = try load(["vocab.json": #"{"a": 0, "b": 9223372036854775808}"#, "merges.txt": ""])
        XCTAssertTrue(m3.contains("out of range 9223372036854775808"), m3)
    }

    func testDuplicateVocabularyKeyIsAnError() throws {
        let m = try load(["vocab.json": "{\"a\": 0,\n \"a\": 1}", "merges.txt": ""])
        XCTAssertTrue(m.contains("vocab.json:2:2") && m.contains("key 'a' only once"), m)
    }
}
