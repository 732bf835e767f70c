import Foundation
import XCTest
import Formats
import Tokenizers

/// Vocabulary keys are compared byte for byte, never by Swift's canonical-equivalence `String` equality.
final class VocabularyTests: XCTestCase {
    func testCanonicallyEquivalentTokensStayDistinct() throws {
        var o = WordPieceTokenizer.Options()
        o.lowercase = false
        o.stripAccents = false
        let tok = try WordPieceTokenizer(entries: [("[UNK]", 0), ("\u{9CB}", 1), ("\u{9C7}\u{9BE}", 2), ("\u{E9}", 3),
                                                   ("e\u{301}", 4), ("##\u{9BE}", 5), ("\u{9C7}", 6)], options: o)
        XCTAssertEqual(tok.encode("\u{9CB} \u{9C7}\u{9BE} \u{E9} e\u{301}", addSpecialTokens: false).ids, [1, 2, 3, 4])
        XCTAssertEqual(tok.vocabularySize, 7)
        // A continuation piece whose first character is a combining mark ("##া" is one grapheme after "#").
        XCTAssertEqual(tok.encode("\u{9C7}\u{9BE}\u{9BE}", addSpecialTokens: false).ids, [2, 5])
    }

    func testJSONObjectKeepsEquivalentKeys() throws {
        let v = try JSONReader.parse(Array(#"{"\u00e9": 1, "e\u0301": 2}"#.utf8), path: "x.json")
        XCTAssertEqual(v.object?.count, 2)
        XCTAssertEqual(v["\u{E9}"]?.int, 1)
        XCTAssertEqual(v["e\u{301}"]?.int, 2)
    }
}
